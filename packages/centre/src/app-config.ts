import { isMap, parseDocument } from 'yaml';
import type { CentreDocument, CentreWatch, ConfigCentre } from './centre.js';
import { EtcdCentre, type EtcdCentreOptions } from './etcd.js';
import { ZooKeeperCentre, type ZooKeeperCentreOptions } from './zookeeper.js';

/** Where a program outside the cluster finds the centre: the config file's `config` section, as options. */
export interface CentreSpec {
  etcd?: EtcdCentreOptions;
  zookeeper?: ZooKeeperCentreOptions;
}

/** One applied change of the `app` section: top-level keys that changed (`app.greeting`), both snapshots. */
export interface AppConfigChange {
  readonly changed: readonly string[];
  readonly previous: Readonly<Record<string, unknown>>;
  readonly current: Readonly<Record<string, unknown>>;
}

export function createCentreFrom(spec: CentreSpec): ConfigCentre {
  if (spec.etcd !== undefined && spec.zookeeper !== undefined) throw new TypeError('config: at most one centre, etcd or zookeeper');
  if (spec.etcd !== undefined) return new EtcdCentre(spec.etcd);
  if (spec.zookeeper !== undefined) return new ZooKeeperCentre(spec.zookeeper);
  throw new TypeError('config: name a centre (etcd or zookeeper)');
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** The `app` mapping of a centre document, or why it has none usable. */
function appOf(text: string): Record<string, unknown> | string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return `YAML error: ${doc.errors[0]?.message.split('\n')[0] ?? ''}`;
  if (doc.contents !== null && !isMap(doc.contents)) return 'the document is not a mapping';
  const app = (doc.toJS() as Record<string, unknown> | null)?.['app'];
  if (app === undefined || app === null) return {};
  if (typeof app !== 'object' || Array.isArray(app)) return '"app" is not a mapping';
  return app as Record<string, unknown>;
}

/**
 * The centre document's `app` section for a program that is not a gateworker process (what
 * `GatewayClient({ config })` uses): a read-only snapshot, replaced whole on each change and
 * reported to `onChange` once per change. A document whose `app` cannot be read is refused (the
 * last good snapshot stays; `onRefused` says why); outages keep the last good snapshot too.
 */
export class AppConfigWatch {
  private snapshot: Readonly<Record<string, unknown>> = deepFreeze({});
  private watch: CentreWatch | null = null;
  private started: Promise<void> | null = null;
  /** close() is idempotent: every call returns this promise. */
  private closing: Promise<void> | null = null;

  constructor(
    private readonly centre: ConfigCentre,
    private readonly onChange: (change: AppConfigChange) => void,
    private readonly onRefused: (reason: string) => void,
  ) {}

  get current(): Readonly<Record<string, unknown>> {
    return this.snapshot;
  }

  /** Reads the document and starts watching; resolves once the first read is done (or failed: watching goes on). */
  start(): Promise<void> {
    this.started ??= (async () => {
      let doc: CentreDocument | null = null;
      try {
        doc = await this.centre.read();
        if (doc !== null) this.take(doc);
      } catch (err) {
        this.onRefused(`cannot read ${this.centre.description}: ${(err as Error).message}`);
      }
      this.watch = await this.centre.watch(doc, { change: (d) => d !== null && this.take(d), state: () => {} });
    })();
    return this.started;
  }

  /** Stops watching and closes the centre's client (after a start in progress). Idempotent: every call returns the same promise. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.started?.catch(() => {});
      await this.watch?.close();
      await this.centre.close();
    })();
    return this.closing;
  }

  private take(doc: CentreDocument): void {
    const app = appOf(doc.text);
    if (typeof app === 'string') {
      this.onRefused(`${this.centre.description} revision ${doc.revision}: ${app}`);
      return;
    }
    const previous = this.snapshot;
    const keys = new Set([...Object.keys(previous), ...Object.keys(app)]);
    const changed = [...keys].filter((k) => JSON.stringify(previous[k]) !== JSON.stringify(app[k])).map((k) => `app.${k}`);
    if (changed.length === 0) return;
    this.snapshot = deepFreeze(structuredClone(app));
    this.onChange({ changed, previous, current: this.snapshot });
  }
}
