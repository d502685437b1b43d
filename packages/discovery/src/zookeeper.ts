import type { GatewayInfo } from '@gateworker/protocol';
import { DiscoveryBackend } from './backend.js';
import { DiscoveryError, DiscoveryErrorCode } from './errors.js';
import type { ResolvedDiscoveryOptions } from './options.js';
import { encodeRecord } from './record.js';

type ZookeeperOptions = Extract<ResolvedDiscoveryOptions['backend'], { kind: 'zookeeper' }>;

/**
 * What this backend uses of the `zookeeper` package (node-zookeeper: the official C client in a
 * native addon, promise API). Declared here because the package is an optional dependency: a
 * machine that cannot build it still builds and runs everything else.
 */
interface ZkClient {
  on(event: 'connect' | 'connecting' | 'close', listener: () => void): unknown;
  removeAllListeners(): unknown;
  init(config: object): unknown;
  close(): unknown;
  create(path: string, data: Buffer, flags: number): Promise<string>;
  set(path: string, data: Buffer, version: number): Promise<unknown>;
  get(path: string, watch: boolean): Promise<[unknown, Buffer | null]>;
  w_get_children(path: string, watch: (type: number, state: number, path: string) => void): Promise<string[]>;
  delete_(path: string, version: number): Promise<unknown>;
  mkdirp(path: string, cb: (err: Error | null) => void): void;
}
interface ZkModule {
  new (config: object): ZkClient;
  constants: { ZOO_EPHEMERAL: number; ZOO_LOG_LEVEL_ERROR: number; ZNONODE: number; ZNODEEXISTS: number };
}

/** The client library's result code at the start of its error messages ("-110 node exists"). */
function resultCode(err: unknown): number | null {
  const m = /^(-?\d+)\b/.exec((err as Error | null)?.message ?? '');
  return m === null ? null : Number(m[1]);
}

async function loadZookeeper(): Promise<ZkModule> {
  try {
    const mod = (await import('zookeeper' as string)) as { default?: ZkModule };
    return (mod.default ?? (mod as unknown as ZkModule));
  } catch (err) {
    throw new DiscoveryError(
      DiscoveryErrorCode.BackendMissing,
      'ZooKeeper discovery needs the `zookeeper` package (a native addon built at install time; it needs a C compiler): npm install zookeeper',
      { cause: err },
    );
  }
}

/**
 * Discovery on ZooKeeper: one session per backend. Own records are EPHEMERAL znodes, deleted by
 * ZooKeeper when the session ends or expires (sessionTimeout after a crash). The list is the
 * children of `<path>/<cluster>/gateways`, read with a child watch; every watch firing and every
 * (re)connect re-reads it (ZooKeeper watches fire once). After a reconnect within the session the
 * records are still there and are re-written; after an expiry a new session re-creates them.
 */
export class ZookeeperBackend extends DiscoveryBackend {
  private readonly zkOptions: ZookeeperOptions;
  private lib: ZkModule | null = null;
  private client: ZkClient | null = null;
  private sessionTimer: NodeJS.Timeout | null = null;
  private syncTimer: NodeJS.Timeout | null = null;
  /** A re-read is running; `again`: another was asked for meanwhile. */
  private reading = false;
  private again = false;

  constructor(options: ResolvedDiscoveryOptions) {
    super(options);
    if (options.backend.kind !== 'zookeeper') throw new TypeError('ZookeeperBackend needs zookeeper options');
    this.zkOptions = options.backend;
  }

  start(): void {
    if (this.lib !== null || this.closed) return;
    loadZookeeper().then(
      (lib) => {
        this.lib = lib;
        this.openSession();
      },
      (err: Error) => this.log.error({ err: err.message }, 'ZooKeeper discovery unavailable'),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.destroy();
  }

  /** Closes the session: with the C client that ends it at once (ephemeral records go now). */
  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.isConnected = false;
    if (this.sessionTimer !== null) clearTimeout(this.sessionTimer);
    if (this.syncTimer !== null) clearTimeout(this.syncTimer);
    const client = this.client;
    this.client = null;
    if (client !== null) {
      client.removeAllListeners();
      client.close();
    }
    this.removeAllListeners();
  }

  private openSession(): void {
    if (this.closed || this.lib === null) return;
    const client = new this.lib({
      connect: this.zkOptions.servers,
      timeout: this.zkOptions.sessionTimeoutMs,
      debug_level: this.lib.constants.ZOO_LOG_LEVEL_ERROR,
      host_order_deterministic: false,
      data_as_buffer: true,
    });
    this.client = client;
    client.on('connect', () => {
      if (this.client !== client) return;
      void this.onConnected(client);
    });
    client.on('connecting', () => {
      if (this.client === client) this.markDisconnected('ZooKeeper connection lost; reconnecting within the session');
    });
    // The session ended (expired while we were away, or auth failed): a new one re-creates our records.
    client.on('close', () => {
      if (this.client !== client || this.closed) return;
      this.client = null;
      client.removeAllListeners();
      this.markDisconnected('ZooKeeper session ended');
      const delay = this.nextRetryDelay();
      this.sessionTimer = setTimeout(() => {
        this.sessionTimer = null;
        this.openSession();
      }, delay);
    });
    client.init({});
  }

  private async onConnected(client: ZkClient): Promise<void> {
    try {
      await new Promise<void>((resolve, reject) => client.mkdirp(this.options.gatewaysPath, (err) => (err ? reject(err) : resolve())));
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'cannot create the ZooKeeper path; retrying on the next connect');
      return;
    }
    if (this.client !== client) return;
    for (const info of this.own.values()) this.write(info);
    this.resync();
  }

  // ---- the watched list ----

  /** Re-reads the children (setting a new child watch) and their records. */
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
        () => this.markConnected(),
        (err: Error) => {
          this.log.debug({ err: err.message }, 'ZooKeeper read failed; retrying');
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

  private async readList(client: ZkClient): Promise<void> {
    const dir = this.options.gatewaysPath;
    const children = await client.w_get_children(dir, () => this.resync());
    const list: GatewayInfo[] = [];
    await Promise.all(
      children.map(async (name) => {
        try {
          const [, data] = await client.get(`${dir}/${name}`, false);
          const info = data === null ? null : this.decode(`${dir}/${name}`, data);
          if (info !== null) list.push(info);
        } catch (err) {
          // Gone between the listing and the read: it is not in the list.
          if (resultCode(err) !== this.lib?.constants.ZNONODE) throw err;
        }
      }),
    );
    if (this.client === client && !this.closed) this.replaceAll(list);
  }

  // ---- own records ----

  protected write(info: GatewayInfo): void {
    const client = this.client;
    const lib = this.lib;
    if (client === null || lib === null) return; // written on (re)connect
    const path = this.keyOf(info.gatewayId);
    const data = encodeRecord(info);
    client.create(path, data, lib.constants.ZOO_EPHEMERAL).then(
      () => {},
      (err: unknown) => {
        if (resultCode(err) !== lib.constants.ZNODEEXISTS) {
          this.log.debug({ err: (err as Error).message, gatewayId: info.gatewayId }, 'ZooKeeper create failed; re-created on reconnect');
          return;
        }
        // Ours already (same session): update it. Only the latest version matters.
        if (this.own.get(info.gatewayId) !== info) return;
        client.set(path, data, -1).catch((e: unknown) => this.log.debug({ err: (e as Error).message, gatewayId: info.gatewayId }, 'ZooKeeper set failed'));
      },
    );
  }

  protected erase(gatewayId: string): void {
    this.client?.delete_(this.keyOf(gatewayId), -1).catch(() => {});
  }
}
