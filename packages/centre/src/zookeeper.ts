import zookeeper, { type Client, type Stat } from 'node-zookeeper-client';
import type { CentreDocument, CentreWatch, CentreWatchHandlers, ConfigCentre } from './centre.js';
import { CentreError } from './errors.js';
import { guardZooKeeperReplies } from './zookeeper-guard.js';

/** ZooKeeper session timeout, in milliseconds. */
export const DEFAULT_ZOOKEEPER_SESSION_TIMEOUT_MS = 10_000;
/** Time a single read or write may take (connecting included) before it fails, in milliseconds. */
export const DEFAULT_ZOOKEEPER_CALL_TIMEOUT_MS = 5_000;

export interface ZooKeeperCentreOptions {
  /** `host:port[,host:port…]` */
  servers: string;
  path: string;
  sessionTimeoutMs?: number;
  callTimeoutMs?: number;
}

const { Exception } = zookeeper;

function revisionOf(stat: Stat): string {
  return BigInt('0x' + stat.mzxid.toString('hex')).toString();
}

function isNoNode(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === Exception.NO_NODE;
}

/**
 * The document in one ZooKeeper node (persistent). A watch re-arms its one-shot ZooKeeper watcher
 * after every trigger and re-reads on every (re)connection, so neither a disconnect nor an expired
 * session (which loses server-side watches; the client is replaced) can hide a change: what
 * differs from the last revision reported is reported.
 */
export class ZooKeeperCentre implements ConfigCentre {
  readonly description: string;
  private client: Client;
  private readonly sessionTimeoutMs: number;
  private readonly callTimeoutMs: number;
  /** Called with the new client after an expired session was replaced. */
  private readonly onNewClient = new Set<(client: Client) => void>();
  private closed = false;

  constructor(private readonly options: ZooKeeperCentreOptions) {
    this.description = `zookeeper ${options.servers} node ${options.path}`;
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? DEFAULT_ZOOKEEPER_SESSION_TIMEOUT_MS;
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_ZOOKEEPER_CALL_TIMEOUT_MS;
    this.client = this.newClient();
  }

  read(): Promise<CentreDocument | null> {
    return this.call('read', (client, done) => {
      client.getData(this.options.path, (err, data, stat) => {
        if (isNoNode(err)) done(null, null);
        else if (err) done(err);
        else done(null, { text: data?.toString('utf8') ?? '', revision: revisionOf(stat) });
      });
    });
  }

  write(text: string): Promise<string> {
    const data = Buffer.from(text, 'utf8');
    return this.call('write', (client, done) => {
      client.setData(this.options.path, data, -1, (err, stat) => {
        if (!isNoNode(err)) {
          if (err) done(err);
          else done(null, revisionOf(stat));
          return;
        }
        client.mkdirp(this.options.path, data, (mkErr) => {
          if (mkErr) return done(mkErr);
          client.exists(this.options.path, (exErr, exStat) => (exErr ? done(exErr) : done(null, revisionOf(exStat))));
        });
      });
    });
  }

  async watch(after: CentreDocument | null, handlers: CentreWatchHandlers): Promise<CentreWatch> {
    let last = after;
    let active = true;
    const report = (doc: CentreDocument | null): void => {
      if (!active || doc?.revision === last?.revision) return;
      last = doc;
      handlers.change(doc);
    };
    // Arms a one-shot watcher on the node (on its data, or on its creation when it is missing)
    // and reports what the node holds now.
    const arm = (client: Client): void => {
      if (!active || client !== this.client) return;
      const fired = (): void => arm(client);
      client.getData(this.options.path, fired, (err, data, stat) => {
        if (isNoNode(err)) {
          client.exists(this.options.path, fired, (exErr, exStat) => {
            if (exErr) return;
            if (exStat === null || exStat === undefined) report(null);
            else arm(client); // created in between: read it
          });
        } else if (!err) {
          report({ text: data?.toString('utf8') ?? '', revision: revisionOf(stat) });
        }
        // Other errors (connection loss) are followed by a reconnect, which re-arms.
      });
    };
    const onState = (client: Client): void => {
      client.on('disconnected', () => active && handlers.state('disconnected', null));
      client.on('connected', () => {
        if (!active) return;
        handlers.state('connected', null);
        arm(client);
      });
    };
    onState(this.client);
    this.onNewClient.add(onState);
    arm(await this.connected());
    return {
      close: () => {
        active = false;
        this.onNewClient.delete(onState);
        return Promise.resolve();
      },
    };
  }

  close(): Promise<void> {
    this.closed = true;
    this.client.removeAllListeners('disconnected');
    this.client.close();
    return Promise.resolve();
  }

  private newClient(): Client {
    const client = zookeeper.createClient(this.options.servers, { sessionTimeout: this.sessionTimeoutMs, spinDelay: 200, retries: 1 });
    guardZooKeeperReplies(client);
    let lostTimer: NodeJS.Timeout | null = null;
    let replaced = false;
    const replace = (): void => {
      // The session and its watches are gone for good: start a new one; watchers re-arm and re-read.
      if (replaced) return;
      replaced = true;
      if (lostTimer !== null) clearTimeout(lostTimer);
      client.close();
      if (this.closed) return;
      this.client = this.newClient();
      for (const hook of this.onNewClient) hook(this.client);
    };
    client.once('expired', replace);
    // Not connected for longer than the session timeout: the server has expired the session (the
    // client library does not always notice, and may stop retrying), so do not wait to be told.
    // The library also waits forever on a server that accepted the TCP connection but never
    // answers (one still starting up): the same deadline covers the first connection.
    const arm = (): void => {
      lostTimer ??= setTimeout(replace, this.sessionTimeoutMs + 500);
    };
    arm();
    client.on('disconnected', arm);
    client.on('connected', () => {
      if (lostTimer !== null) clearTimeout(lostTimer);
      lostTimer = null;
    });
    client.connect();
    return client;
  }

  /** Resolves once the current client (or the one that replaces it) is connected. */
  private connected(): Promise<Client> {
    if (this.client.getState() === zookeeper.State.SYNC_CONNECTED) return Promise.resolve(this.client);
    return new Promise((resolve, reject) => {
      const attached = new Set<Client>();
      const attach = (client: Client): void => {
        attached.add(client);
        client.once('connected', onConnected);
      };
      const done = (): void => {
        clearTimeout(timer);
        this.onNewClient.delete(attach);
        for (const c of attached) c.off('connected', onConnected);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`not connected within ${this.callTimeoutMs} ms`));
      }, this.callTimeoutMs);
      const onConnected = (): void => {
        done();
        resolve(this.client);
      };
      attach(this.client);
      this.onNewClient.add(attach);
    });
  }

  private async call<T>(what: string, op: (client: Client, done: (err: unknown, value?: T) => void) => void): Promise<T> {
    try {
      const client = await this.connected();
      return await new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer within ${this.callTimeoutMs} ms`)), this.callTimeoutMs);
        op(client, (err, value) => {
          clearTimeout(timer);
          // eslint-disable-next-line @typescript-eslint/no-base-to-string -- node-zookeeper-client's Exception has a descriptive toString() its typings do not declare
          if (err) reject(err instanceof Error ? err : new Error(String(err)));
          else resolve(value as T);
        });
      });
    } catch (err) {
      throw new CentreError(`cannot ${what} ${this.description}: ${(err as Error).message}`, { cause: err });
    }
  }
}
