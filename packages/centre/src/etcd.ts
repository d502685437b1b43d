import { readFileSync } from 'node:fs';
import { Etcd3, type IOptions, type Watcher } from 'etcd3';
import type { CentreDocument, CentreWatch, CentreWatchHandlers, ConfigCentre } from './centre.js';
import { CentreError } from './errors.js';

/** Time a single read or write may take before it fails, in milliseconds. */
export const DEFAULT_ETCD_CALL_TIMEOUT_MS = 5_000;

export interface EtcdCentreOptions {
  endpoints: readonly string[];
  key: string;
  username?: string;
  password?: string;
  tls?: { ca?: string | undefined; cert?: string | undefined; key?: string | undefined };
  callTimeoutMs?: number;
}

function clientOptions(o: EtcdCentreOptions, timeoutMs: number): IOptions {
  const options: IOptions = {
    hosts: [...o.endpoints],
    dialTimeout: timeoutMs,
    // Unary calls fail after the timeout; watch streams live as long as the watcher.
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + timeoutMs }),
  };
  if (o.username !== undefined) options.auth = { username: o.username, password: o.password ?? '' };
  if (o.tls?.ca !== undefined) {
    options.credentials = {
      rootCertificate: readFileSync(o.tls.ca),
      ...(o.tls.key !== undefined && { privateKey: readFileSync(o.tls.key) }),
      ...(o.tls.cert !== undefined && { certChain: readFileSync(o.tls.cert) }),
    };
  }
  return options;
}

/**
 * The document under one etcd key. Watches use etcd3's resilient watcher, which resubscribes
 * after a disconnect from the last revision it saw; a watcher that etcd cancels for good
 * (compacted revision) is replaced by a re-read and a fresh watch from the read's revision.
 */
export class EtcdCentre implements ConfigCentre {
  readonly description: string;
  private readonly client: Etcd3;

  constructor(private readonly options: EtcdCentreOptions) {
    this.description = `etcd ${options.endpoints.join(',')} key ${options.key}`;
    this.client = new Etcd3(clientOptions(options, options.callTimeoutMs ?? DEFAULT_ETCD_CALL_TIMEOUT_MS));
  }

  async read(): Promise<CentreDocument | null> {
    try {
      const res = await this.client.get(this.options.key).exec();
      const kv = res.kvs[0];
      return kv === undefined ? null : { text: kv.value.toString('utf8'), revision: kv.mod_revision };
    } catch (err) {
      throw new CentreError(`cannot read ${this.description}: ${(err as Error).message}`, { cause: err });
    }
  }

  async write(text: string): Promise<string> {
    try {
      const res = await this.client.put(this.options.key).value(text).exec();
      return res.header.revision;
    } catch (err) {
      throw new CentreError(`cannot write ${this.description}: ${(err as Error).message}`, { cause: err });
    }
  }

  async watch(after: CentreDocument | null, handlers: CentreWatchHandlers): Promise<CentreWatch> {
    let closed = false;
    let current: Watcher | null = null;
    let last = after;
    const start = async (from: string | null): Promise<void> => {
      const builder = this.client.watch().key(this.options.key);
      if (from !== null) builder.startRevision(String(BigInt(from) + 1n));
      const watcher = await builder.create();
      if (closed) {
        await watcher.cancel();
        return;
      }
      current = watcher;
      watcher.on('put', (kv) => {
        last = { text: kv.value.toString('utf8'), revision: kv.mod_revision };
        handlers.change(last);
      });
      watcher.on('delete', () => {
        last = null;
        handlers.change(null);
      });
      watcher.on('disconnected', (err) => handlers.state('disconnected', err));
      watcher.on('connected', () => handlers.state('connected', null));
      watcher.on('error', (err) => {
        // Not recoverable by the watcher itself (e.g. the revision was compacted): catch up by
        // reading, then watch again from what was read.
        handlers.state('disconnected', err);
        void watcher.cancel().catch(() => {});
        void this.resync(() => closed, last, handlers)
          .then((doc) => {
            last = doc;
            if (!closed) return start(doc?.revision ?? null);
          })
          .catch(() => {});
      });
    };
    await start(after?.revision ?? null);
    return {
      close: async () => {
        closed = true;
        const w: Watcher | null = current;
        if (w !== null) await w.cancel().catch(() => {});
      },
    };
  }

  close(): Promise<void> {
    this.client.close();
    return Promise.resolve();
  }

  /** Reads until it succeeds (or the watch is closed); reports the document if it differs from `last`. */
  private async resync(isClosed: () => boolean, last: CentreDocument | null, handlers: CentreWatchHandlers): Promise<CentreDocument | null> {
    for (let delay = 200; !isClosed(); delay = Math.min(delay * 2, 5_000)) {
      try {
        const doc = await this.read();
        handlers.state('connected', null);
        if (doc?.text !== last?.text) handlers.change(doc);
        return doc;
      } catch {
        await new Promise((r) => setTimeout(r, delay).unref());
      }
    }
    return last;
  }
}
