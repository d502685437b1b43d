import { EventEmitter } from 'node:events';
import type { CentreDocument, CentreState, CentreWatch, ConfigCentre } from '@gateworker/centre';
import { watch as watchFile, type FSWatcher } from 'chokidar';
import type { Logger } from 'pino';
import { Lifecycle } from '@gateworker/protocol/node';
import { createCentre } from './centre.js';
import { ConfigError } from './errors.js';
import { applyLive, diffConfig } from './live.js';
import { loadConfig, type LoadedConfig, type LoadOptions } from './load.js';
import type { Config } from './schema.js';

/** How long start-up waits for the centre's document before running without it, in milliseconds. */
export const DEFAULT_CENTRE_START_TIMEOUT_MS = 5_000;

/** An applied change: what the running configuration became and which keys moved. */
export interface ConfigChange {
  /** The configuration now running (restart-only keys keep their running value). */
  config: Readonly<Config>;
  /** The configuration before the change. */
  previous: Readonly<Config>;
  /** Keys applied (dotted). */
  applied: string[];
  /** Keys that changed but need a restart: named in a warning, not applied. */
  restart: string[];
  /** What triggered it: the centre (with its revision) or the local file. */
  source: string;
}

export interface ConfigRefusal {
  /** The key at fault, dotted ('' for the whole document). */
  key: string;
  message: string;
  source: string;
  at: string;
}

export interface ConfigManagerStatus {
  centre: string | null;
  centreState: CentreState | 'none';
  revision: string | null;
  watchingFile: boolean;
  applied: number;
  refused: number;
  lastRefusal: ConfigRefusal | null;
}

interface ManagerEvents {
  change: [change: ConfigChange];
  refused: [refusal: ConfigRefusal];
  /** Once, when close() finished or destroy() ran. */
  close: [];
}

/**
 * The layered configuration of a running process (go-archaius style): defaults < file < env <
 * flags < config centre, merged per key. Watches the centre and, when asked, the local file;
 * every new version is validated WHOLE: an invalid one is refused (logged with the key and its
 * line, counted, kept as `lastRefusal`) and the running configuration stays. A valid one is
 * diffed against what runs: live keys are applied (the `change` event), keys that need a restart
 * are named in a warning and keep their running value. A centre outage keeps the last good
 * configuration; the centre's watch resumes from the last revision seen.
 */
export class ConfigManager extends EventEmitter<ManagerEvents> {
  private running: LoadedConfig;
  /** The last valid desired configuration (what the sources say), restart-only keys included. */
  private desired: Readonly<Config>;
  private centreDoc: CentreDocument | null = null;
  private centreWatch: CentreWatch | null = null;
  private fileWatcher: FSWatcher | null = null;
  private centreState: CentreState | 'none';
  private appliedCount = 0;
  private refusedCount = 0;
  private lastRefusal: ConfigRefusal | null = null;
  /** close() idempotent, destroy() safe during it, one 'close' event (see Lifecycle). */
  private readonly lifecycle = new Lifecycle(() => this.emit('close'));
  /** close() or destroy() was called: changes are no longer applied. */
  private get closed(): boolean {
    return this.lifecycle.stopping;
  }

  private constructor(
    private readonly sources: LoadOptions,
    initial: LoadedConfig,
    private readonly centre: ConfigCentre | null,
    private readonly log: Logger,
  ) {
    super();
    this.running = initial;
    this.desired = initial.config;
    this.centreState = centre === null ? 'none' : 'disconnected';
  }

  /**
   * Loads the configuration from every source. With a centre, its document is read first (a
   * bad document or an unreachable centre does not stop the start: the process runs on the
   * local layers, says so, and applies the centre's document once it can read a good one).
   * `local` is what `loadConfig(sources)` already returned (the caller validated the local layers
   * before it had a logger); it is not read again.
   */
  static async open(
    sources: LoadOptions,
    local: LoadedConfig,
    log: Logger,
    startTimeoutMs = DEFAULT_CENTRE_START_TIMEOUT_MS,
  ): Promise<ConfigManager> {
    const centre = createCentre(local.config.config);
    const manager = new ConfigManager(sources, local, centre, log);
    if (centre !== null) await manager.readCentreAtStart(centre, startTimeoutMs);
    return manager;
  }

  get config(): Readonly<Config> {
    return this.running.config;
  }

  get loaded(): LoadedConfig {
    return this.running;
  }

  /** Starts watching the centre and (when `config.watch`, default on with a centre) the file. */
  async start(): Promise<void> {
    if (this.centre !== null) {
      this.centreWatch = await this.centre.watch(this.centreDoc, {
        change: (doc) => this.onCentreDocument(doc),
        state: (state, err) => this.onCentreState(state, err),
      });
      // Closed while the watch was being set up: close() did not see it.
      if (this.closed) {
        await this.centreWatch.close();
        return;
      }
      this.centreState = 'connected';
    }
    const file = this.running.file;
    const watchLocal = this.running.config.config?.watch ?? this.centre !== null;
    if (file !== null && watchLocal && !this.closed) {
      this.fileWatcher = watchFile(file, { ignoreInitial: true, atomic: true });
      this.fileWatcher.on('change', () => this.reload(`file ${file}`));
      this.fileWatcher.on('add', () => this.reload(`file ${file}`));
      this.fileWatcher.on('error', (err) => this.log.warn({ err, file }, 'config file watch error'));
      // Watching starts once the initial scan is done: an edit made before that would be missed.
      const watcher = this.fileWatcher;
      await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    }
  }

  /** Every layer read again now (the file, env, flags and the centre's last document), validated; throws a ConfigError. */
  reread(): LoadedConfig {
    const centre = this.centreDoc === null || this.centre === null ? null : { text: this.centreDoc.text, origin: this.centre.description };
    return loadConfig({ ...this.sources, centre });
  }

  status(): ConfigManagerStatus {
    return {
      centre: this.centre?.description ?? null,
      centreState: this.centreState,
      revision: this.centreDoc?.revision ?? null,
      watchingFile: this.fileWatcher !== null,
      applied: this.appliedCount,
      refused: this.refusedCount,
      lastRefusal: this.lastRefusal,
    };
  }

  /** Stops watching the file and the centre. Idempotent: every call returns the same promise. */
  close(): Promise<void> {
    return this.lifecycle.close(async () => {
      await this.fileWatcher?.close();
      await this.centreWatch?.close();
      await this.centre?.close();
    });
  }

  /** The same without waiting for the watchers to finish closing. Safe during close(), which then resolves. */
  destroy(): void {
    this.lifecycle.destroy(() => {
      void this.fileWatcher?.close().catch(() => {});
      void this.centreWatch?.close().catch(() => {});
      void this.centre?.close().catch(() => {});
    });
  }

  private async readCentreAtStart(centre: ConfigCentre, timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      this.centreDoc = await Promise.race([centre.read(), timeout]);
      this.centreState = 'connected';
    } catch (err) {
      this.log.warn(
        { centre: centre.description, err: (err as Error).message },
        'config centre unreachable at start: running on the local configuration until it answers',
      );
      return;
    } finally {
      clearTimeout(timer);
    }
    if (this.centreDoc === null) {
      this.log.info({ centre: centre.description }, 'config centre has no document yet: running on the local configuration');
      return;
    }
    try {
      this.running = loadConfig({ ...this.sources, centre: { text: this.centreDoc.text, origin: centre.description } });
      this.desired = this.running.config;
      this.log.info({ centre: centre.description, revision: this.centreDoc.revision }, 'config centre document applied');
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      this.refuse(err, `${centre.description} revision ${this.centreDoc.revision}`);
    }
  }

  private onCentreDocument(doc: CentreDocument | null): void {
    if (this.closed) return;
    this.centreDoc = doc;
    this.reload(doc === null ? `${this.centre?.description} (deleted)` : `${this.centre?.description} revision ${doc.revision}`);
  }

  private onCentreState(state: CentreState, err: Error | null): void {
    if (state === this.centreState) return;
    this.centreState = state;
    if (state === 'disconnected')
      this.log.warn({ centre: this.centre?.description, err: err?.message }, 'config centre unreachable: keeping the last good configuration');
    else this.log.info({ centre: this.centre?.description }, 'config centre reachable again');
  }

  /** Re-reads every layer (the file too), validates the whole, applies what changed. */
  private reload(source: string): void {
    if (this.closed) return;
    let next: LoadedConfig;
    try {
      next = this.reread();
    } catch (err) {
      if (err instanceof ConfigError) this.refuse(err, source);
      else this.log.error({ err, source }, 'config reload failed');
      return;
    }
    const restart = diffConfig(this.desired, next.config).restart;
    const { live } = diffConfig(this.running.config, next.config);
    this.desired = next.config;
    if (restart.length > 0) this.log.warn({ keys: restart, source }, `config change needs a restart and was not applied: ${restart.join(', ')}`);
    if (live.length === 0) return;
    const previous = this.running.config;
    const config = Object.freeze(applyLive(previous, next.config, live));
    this.running = { ...this.running, config };
    this.appliedCount++;
    this.log.info({ keys: live, source }, `config change applied: ${live.join(', ')}`);
    this.emit('change', { config, previous, applied: live, restart, source });
  }

  private refuse(err: ConfigError, source: string): void {
    this.refusedCount++;
    this.lastRefusal = { key: err.key, message: err.message, source, at: new Date().toISOString() };
    this.log.error({ key: err.key, source }, `config change refused, the running configuration stays: ${err.message}`);
    this.emit('refused', this.lastRefusal);
  }
}
