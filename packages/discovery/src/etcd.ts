import type { GatewayInfo } from '@gateworker/protocol';
import { withTimeout } from '@gateworker/protocol/node';
import type { Etcd3, IOptions, Lease, Watcher } from 'etcd3';
import { DiscoveryBackend } from './backend.js';
import { DEFAULT_ETCD_DIAL_TIMEOUT_MS, type ResolvedDiscoveryOptions } from './options.js';
import { encodeRecord } from './record.js';

type EtcdOptions = Extract<ResolvedDiscoveryOptions['backend'], { kind: 'etcd' }>;

/** Bound on revoking the lease at close when etcd does not answer, in milliseconds. */
const REVOKE_TIMEOUT_MS = 2_000;

interface KeyValue {
  key: Buffer;
  value: Buffer;
  mod_revision: string;
}

/**
 * Discovery on etcd (v3 API, through the `etcd3` library): one client, hence one gRPC connection,
 * per backend. Own records are put under ONE lease kept alive by the library; the keys vanish
 * when the process dies and the lease expires (TTL). The list is read with a range read at
 * revision R, then watched from R + 1; watch events at or below the last applied read's revision
 * are already in the view and are skipped. After an outage (watch disconnected, lease lost) the
 * backend re-reads the list and re-puts its records under a live lease.
 */
export class EtcdBackend extends DiscoveryBackend {
  private readonly etcd: EtcdOptions;
  private client: Etcd3 | null = null;
  private watcher: Watcher | null = null;
  /** The lease own records are attached to; null until needed, or after it was lost. */
  private lease: Lease | null = null;
  /** Revision of the last full read applied to the view. */
  private appliedRevision = 0n;
  /** Highest revision seen (read or watch event): a read below it means etcd lost its data (restored or wiped). */
  private seenRevision = 0n;
  /** A resync (read + watch) is running or scheduled. */
  private syncing: Promise<void> | null = null;
  private syncTimer: NodeJS.Timeout | null = null;
  private leaseTimer: NodeJS.Timeout | null = null;
  /** Own records whose last write failed: re-put after reconnect. */
  private readonly dirty = new Set<string>();
  /** Own records removed while etcd did not answer: deleted after reconnect. */
  private readonly pendingErase = new Set<string>();

  constructor(options: ResolvedDiscoveryOptions) {
    super(options);
    if (options.backend.kind !== 'etcd') throw new TypeError('EtcdBackend needs etcd options');
    this.etcd = options.backend;
  }

  start(): void {
    if (this.client !== null || this.closed) return;
    this.connect().catch((err: unknown) => this.log.error({ err }, 'etcd discovery could not start'));
  }

  private async connect(): Promise<void> {
    const { Etcd3 } = await import('etcd3');
    if (this.closed) return;
    const o = this.etcd;
    const options: IOptions = { hosts: [...o.endpoints], dialTimeout: DEFAULT_ETCD_DIAL_TIMEOUT_MS };
    if (o.auth !== null) options.auth = { username: o.auth.username, password: o.auth.password };
    if (o.tls !== null) {
      options.credentials = {
        rootCertificate: o.tls.ca as Buffer, // null: the system's roots
        ...(o.tls.key !== null && { privateKey: o.tls.key }),
        ...(o.tls.cert !== null && { certChain: o.tls.cert }),
      };
    }
    this.client = new Etcd3(options);
    this.resync();
    if (this.own.size > 0) this.renewLease();
  }

  protected async endSession(): Promise<void> {
    this.isConnected = false;
    if (this.syncTimer !== null) clearTimeout(this.syncTimer);
    if (this.leaseTimer !== null) clearTimeout(this.leaseTimer);
    const watcher = this.watcher;
    this.watcher = null;
    await watcher?.cancel().catch(() => {});
    const lease = this.lease;
    this.lease = null;
    if (lease !== null) {
      // Revoking deletes our keys at once; if etcd is away they expire with the lease.
      await withTimeout(lease.revoke(), REVOKE_TIMEOUT_MS);
      lease.release();
    }
    this.client?.close();
    this.client = null;
  }

  protected dropSession(): void {
    this.isConnected = false;
    if (this.syncTimer !== null) clearTimeout(this.syncTimer);
    if (this.leaseTimer !== null) clearTimeout(this.leaseTimer);
    void this.watcher?.cancel().catch(() => {});
    this.watcher = null;
    this.lease?.release();
    this.lease = null;
    this.client?.close();
    this.client = null;
  }

  // ---- the watched list ----

  /** Reads the list and (re)creates the watcher from the read's revision; retried with backoff. */
  private resync(): void {
    if (this.syncing !== null || this.closed) return;
    this.syncing = this.readAndWatch()
      .then(
        () => {
          this.markConnected();
          this.flushOwn();
        },
        (err: unknown) => {
          const message = err instanceof Error ? err.message : String(err);
          this.markDisconnected(message);
          const delay = this.nextRetryDelay();
          this.log.debug({ err: message, retryInMs: delay }, 'etcd read failed; retrying');
          this.syncTimer = setTimeout(() => {
            this.syncTimer = null;
            this.resync();
          }, delay);
        },
      )
      .finally(() => (this.syncing = null));
  }

  private async readAndWatch(): Promise<void> {
    const client = this.client;
    if (client === null) return;
    const dir = this.options.gatewaysPath + '/';
    const res = await client.getAll().prefix(dir).exec();
    if (this.closed) return;
    const revision = BigInt(res.header.revision);
    const list: GatewayInfo[] = [];
    for (const kv of res.kvs as unknown as KeyValue[]) {
      const info = this.decode(kv.key.toString(), kv.value);
      if (info !== null) list.push(info);
    }
    // A store that went back in time (restored from a snapshot, or wiped) would leave a resumed
    // watcher waiting for revisions that mean something else: watch afresh from this read.
    if (revision < this.seenRevision && this.watcher !== null) {
      this.log.warn({ revision: String(revision), seen: String(this.seenRevision) }, 'etcd revision went backwards; watching afresh');
      const old = this.watcher;
      this.watcher = null;
      void old.cancel().catch(() => {});
    }
    this.appliedRevision = revision;
    this.seenRevision = revision;
    this.replaceAll(list);
    if (this.watcher !== null) return; // the library resumes a live watcher from its own revision
    const watcher = await client
      .watch()
      .prefix(dir)
      .startRevision(String(revision + 1n))
      .create();
    if (this.closed) {
      await watcher.cancel().catch(() => {});
      return;
    }
    this.watcher = watcher;
    watcher.on('put', (kv) => this.onPut(kv));
    watcher.on('delete', (kv) => this.onDelete(kv));
    watcher.on('disconnected', (err) => this.markDisconnected(`watch: ${err.message}`));
    // Reconnected: re-read (the view may have missed nothing, but expiries during the gap are
    // cheapest to settle with one read) and re-put our records.
    watcher.on('connected', () => {
      if (!this.isConnected) this.resync();
    });
    // Cancelled by the server (e.g. our revision was compacted): start over with a new read.
    watcher.on('error', (err) => this.restartWatch(err.message));
    watcher.on('end', () => this.restartWatch('watch ended'));
  }

  private restartWatch(reason: string): void {
    if (this.closed || this.watcher === null) return;
    const old = this.watcher;
    this.watcher = null;
    void old.cancel().catch(() => {});
    this.markDisconnected(reason);
    this.resync();
  }

  private onPut(kv: KeyValue): void {
    const revision = BigInt(kv.mod_revision);
    if (revision > this.seenRevision) this.seenRevision = revision;
    if (revision <= this.appliedRevision) return;
    const info = this.decode(kv.key.toString(), kv.value);
    if (info !== null) this.upsert(info);
  }

  private onDelete(kv: KeyValue): void {
    const revision = BigInt(kv.mod_revision);
    if (revision > this.seenRevision) this.seenRevision = revision;
    if (revision <= this.appliedRevision) return;
    const key = kv.key.toString();
    this.remove(key.slice(key.lastIndexOf('/') + 1));
  }

  // ---- own records ----

  protected write(info: GatewayInfo): void {
    this.pendingErase.delete(info.gatewayId);
    if (this.client === null) return; // connect() puts every own record
    if (this.lease === null) {
      this.renewLease();
      return;
    }
    this.put(this.lease, info);
  }

  protected erase(gatewayId: string): void {
    this.dirty.delete(gatewayId);
    const client = this.client;
    if (client === null) return;
    client
      .delete()
      .key(this.keyOf(gatewayId))
      .exec()
      .then(
        () => this.pendingErase.delete(gatewayId),
        () => this.pendingErase.add(gatewayId),
      );
  }

  private put(lease: Lease, info: GatewayInfo): void {
    lease
      .put(this.keyOf(info.gatewayId))
      .value(encodeRecord(info))
      .exec()
      .then(
        () => {
          if (this.own.get(info.gatewayId) === info) this.dirty.delete(info.gatewayId);
        },
        (err: unknown) => {
          this.dirty.add(info.gatewayId);
          this.log.debug(
            { err: err instanceof Error ? err.message : String(err), gatewayId: info.gatewayId },
            'etcd put failed; re-put on reconnect',
          );
        },
      );
  }

  /** A new lease, and every own record put under it. */
  private renewLease(): void {
    if (this.closed || this.client === null || this.leaseTimer !== null) return;
    this.lease?.release();
    const lease = this.client.lease(this.etcd.ttlSeconds, { autoKeepAlive: true });
    this.lease = lease;
    lease.on('lost', (err) => {
      if (this.lease !== lease || this.closed) return;
      this.lease = null;
      for (const id of this.own.keys()) this.dirty.add(id);
      // Retry well within a TTL: after an outage etcd gives old leases one more TTL, and our records
      // must be re-put under the new lease before the old one expires them.
      const delay = this.nextRetryDelay(Math.max(100, (this.etcd.ttlSeconds * 1000) / 3));
      this.log.warn({ err: err.message, retryInMs: delay }, 'etcd lease lost; re-publishing under a new one');
      this.leaseTimer = setTimeout(() => {
        this.leaseTimer = null;
        if (this.own.size > 0) this.renewLease();
      }, delay);
    });
    for (const info of this.own.values()) this.put(lease, info);
  }

  /** After a (re)connect: re-put every own record (an outage may have outlived the lease or lost writes), finish deletes. */
  private flushOwn(): void {
    if (this.closed) return;
    for (const id of [...this.pendingErase]) this.erase(id);
    if (this.own.size === 0) return;
    if (this.lease === null) this.renewLease();
    else for (const info of this.own.values()) this.put(this.lease, info);
  }
}
