import { guardZooKeeperReplies } from '@gateworker/centre';
import type { GatewayInfo } from '@gateworker/protocol';
import zookeeper, { type Client } from 'node-zookeeper-client';
import { DiscoveryBackend } from './backend.js';
import type { ResolvedDiscoveryOptions } from './options.js';
import { encodeRecord } from './record.js';

type ZookeeperOptions = Extract<ResolvedDiscoveryOptions['backend'], { kind: 'zookeeper' }>;

const { CreateMode, Exception } = zookeeper;

/** Wait between two attempts to reach a server while none answers, in milliseconds (the library's spinDelay). */
const ZOOKEEPER_SPIN_DELAY_MS = 500;
/** Disconnected this long past the session timeout, the session is given up for a new one, in milliseconds. */
const ZOOKEEPER_EXPIRY_MARGIN_MS = 2_000;

function codeOf(err: unknown): number | null {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : null;
}

/** A callback call as a promise. */
function call<T>(fn: (done: (err: unknown, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) =>
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- rejects with the client's Exception as is: callers read its `code` (NO_NODE, NODE_EXISTS)
    fn((err, value) => (err ? reject(err) : resolve(value))),
  );
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Discovery on ZooKeeper (through `node-zookeeper-client`, the pure-JavaScript client the config
 * centre also uses): one session per backend. Own records are EPHEMERAL znodes, which ZooKeeper
 * deletes when the session ends or expires (sessionTimeout after a crash). The list is the
 * children of `<path>/<cluster>/gateways`, read with a child watch; every watch firing and every
 * (re)connect re-reads it (ZooKeeper watches fire once and a gap may hide changes). After a
 * reconnect within the session our znodes are still there and are re-written; after an expiry a
 * new session re-creates them.
 */
export class ZookeeperBackend extends DiscoveryBackend {
  private readonly zk: ZookeeperOptions;
  private client: Client | null = null;
  private sessionTimer: NodeJS.Timeout | null = null;
  /** Runs while disconnected: past the session timeout the session is surely gone (see openSession). */
  private expiryWatchdog: NodeJS.Timeout | null = null;
  private syncTimer: NodeJS.Timeout | null = null;
  /** A re-read is running; `again`: another was asked for meanwhile. */
  private reading = false;
  private again = false;

  constructor(options: ResolvedDiscoveryOptions) {
    super(options);
    if (options.backend.kind !== 'zookeeper') throw new TypeError('ZookeeperBackend needs zookeeper options');
    this.zk = options.backend;
  }

  start(): void {
    if (this.client !== null || this.closed) return;
    this.openSession();
  }

  /** Closing the client ends the session at once (our ephemeral records go now): close() and destroy() are the same. */
  protected endSession(): Promise<void> {
    this.dropSession();
    return Promise.resolve();
  }

  protected dropSession(): void {
    this.isConnected = false;
    if (this.sessionTimer !== null) clearTimeout(this.sessionTimer);
    if (this.syncTimer !== null) clearTimeout(this.syncTimer);
    this.clearWatchdog();
    const client = this.client;
    this.client = null;
    if (client !== null) {
      client.removeAllListeners();
      client.close();
    }
  }

  private openSession(): void {
    if (this.closed) return;
    const client = zookeeper.createClient(this.zk.servers, { sessionTimeout: this.zk.sessionTimeoutMs, spinDelay: ZOOKEEPER_SPIN_DELAY_MS });
    guardZooKeeperReplies(client);
    this.client = client;
    client.on('connected', () => {
      if (this.client !== client) return;
      this.clearWatchdog();
      void this.onConnected(client);
    });
    client.on('disconnected', () => {
      if (this.client !== client) return;
      this.markDisconnected('ZooKeeper connection lost; reconnecting within the session');
      this.armWatchdog(client);
    });
    // The session is gone (we were away longer than sessionTimeout): a new one re-creates our records.
    client.on('expired', () => {
      if (this.client === client) this.renewSession(client, 'ZooKeeper session expired');
    });
    this.armWatchdog(client);
    client.connect();
  }

  /**
   * While not connected: away longer than the session timeout, the session is expired on the
   * servers whatever the client says, so a new session is started, as the expiry would. (Seen
   * here: after a server restart, a client that neither reconnects nor reports the expiry.)
   */
  private armWatchdog(client: Client): void {
    this.expiryWatchdog ??= setTimeout(() => {
      this.expiryWatchdog = null;
      if (this.client === client) this.renewSession(client, 'no connection within the session timeout');
    }, this.zk.sessionTimeoutMs + ZOOKEEPER_EXPIRY_MARGIN_MS);
  }

  /** Drops the client of a dead session and opens a new session (which re-creates our records). */
  private renewSession(client: Client, reason: string): void {
    if (this.closed) return;
    this.clearWatchdog();
    this.client = null;
    client.removeAllListeners();
    client.close();
    this.markDisconnected(reason);
    const delay = this.nextRetryDelay();
    this.log.warn({ reason, retryInMs: delay }, 'ZooKeeper session lost; opening a new one');
    this.sessionTimer = setTimeout(() => {
      this.sessionTimer = null;
      this.openSession();
    }, delay);
  }

  private clearWatchdog(): void {
    if (this.expiryWatchdog !== null) clearTimeout(this.expiryWatchdog);
    this.expiryWatchdog = null;
  }

  private async onConnected(client: Client): Promise<void> {
    try {
      await call<string>((done) => client.mkdirp(this.options.gatewaysPath, done));
    } catch (err) {
      const delay = this.nextRetryDelay();
      this.log.warn({ err: messageOf(err), retryInMs: delay }, 'cannot create the ZooKeeper path; retrying');
      this.syncTimer ??= setTimeout(() => {
        this.syncTimer = null;
        if (this.client === client && this.isConnectedClient(client)) void this.onConnected(client);
      }, delay);
      return;
    }
    if (this.client !== client) return;
    for (const info of this.own.values()) this.write(info);
    this.resync();
  }

  // ---- the watched list ----

  /** Re-reads the children (setting a new child watch) and their records; retried with backoff. */
  private resync(): void {
    if (this.reading) {
      this.again = true;
      return;
    }
    const client = this.client;
    if (client === null || this.closed) return;
    this.reading = true;
    this.readList(client)
      .then(
        () => {
          if (this.client === client) this.markConnected();
        },
        (err: unknown) => {
          this.log.debug({ err: messageOf(err) }, 'ZooKeeper read failed; retrying');
          this.syncTimer ??= setTimeout(() => {
            this.syncTimer = null;
            this.resync();
          }, this.nextRetryDelay());
        },
      )
      .finally(() => {
        this.reading = false;
        if (this.again) {
          this.again = false;
          this.resync();
        }
      });
  }

  private async readList(client: Client): Promise<void> {
    const dir = this.options.gatewaysPath;
    const children = await call<string[]>((done) => client.getChildren(dir, () => this.resync(), done));
    const list: GatewayInfo[] = [];
    await Promise.all(
      children.map(async (name) => {
        try {
          const data = await call<Buffer | undefined>((done) => client.getData(`${dir}/${name}`, done));
          const info = data === undefined ? null : this.decode(`${dir}/${name}`, data);
          if (info !== null) list.push(info);
        } catch (err) {
          // Gone between the listing and the read: it is not in the list.
          if (codeOf(err) !== Exception.NO_NODE) throw err;
        }
      }),
    );
    if (this.client === client && !this.closed) this.replaceAll(list);
  }

  // ---- own records ----

  protected write(info: GatewayInfo, retried = false): void {
    const client = this.client;
    if (client === null || !this.isConnectedClient(client)) return; // written on (re)connect
    const path = this.keyOf(info.gatewayId);
    const data = encodeRecord(info);
    client.create(path, data, CreateMode.EPHEMERAL, (err) => {
      if (err === null) return;
      if (codeOf(err) !== Exception.NODE_EXISTS) {
        this.log.debug({ err: messageOf(err), gatewayId: info.gatewayId }, 'ZooKeeper create failed; re-created on reconnect');
        return;
      }
      if (this.own.get(info.gatewayId) !== info) return; // a newer version is on its way
      client.exists(path, (e, stat) => {
        if (e || !stat) {
          if (e) this.log.debug({ err: messageOf(e) }, 'ZooKeeper exists failed');
          return;
        }
        if (stat.ephemeralOwner.equals(client.getSessionId())) {
          // Ours (this session): update it in place; watchers see no flap.
          client.setData(path, data, -1, (e2) => {
            if (e2) this.log.debug({ err: messageOf(e2), gatewayId: info.gatewayId }, 'ZooKeeper setData failed');
          });
        } else if (!retried) {
          // Left by our previous session (a restarted server revives sessions until they time out):
          // it would vanish with that session, so take it over in this one.
          client.remove(path, -1, () => this.write(info, true));
        }
      });
    });
  }

  protected erase(gatewayId: string): void {
    const client = this.client;
    if (client === null || !this.isConnectedClient(client)) return; // the znode dies with the session anyway
    client.remove(this.keyOf(gatewayId), -1, () => {});
  }

  private isConnectedClient(client: Client): boolean {
    return client.getState() === zookeeper.State.SYNC_CONNECTED;
  }
}
