import type { Logger } from 'pino';
import { Lifecycle } from '@gateworker/protocol/node';
import { DEFAULT_DRAIN_TIMEOUT_MS } from '@gateworker/worker';
import { coveredBy, LIVE_KEYS } from '../config/live.js';
import type { Config } from '../config/schema.js';
import { DiscoveryRelay } from './discovery-relay.js';
import { appliedConfig, unappliableChanges } from './config-diff.js';
import type { ChildMessage, ChildRequest, ChildSpec } from './ipc.js';
import { spawnChild, type Spawned } from './spawn.js';

/** Time a new child process has to report ready (a worker's own start() bound, readyTimeoutMs, is as long), in milliseconds. */
export const CHILD_READY_TIMEOUT_MS = 30_000;
/** First delay before restarting a crashed process, doubled per crash up to the maximum, in ms. */
export const RESTART_INITIAL_DELAY_MS = 100;
export const RESTART_MAX_DELAY_MS = 5_000;
/** A process that ran this long before crashing restarts without delay growth, in ms. */
export const RESTART_STABLE_AFTER_MS = 10_000;
/** Extra time past its drain timeout a process gets before it is killed, in ms. */
export const STOP_GRACE_MS = 5_000;
/**
 * How long after a child reports a SIGTERM the supervisor waits for one of its own before it
 * treats the signal as meant for that child alone, in ms. A signal to the process group reaches
 * every process at once; the supervisor's own usually lands first, but not always under load.
 */
export const GROUP_SIGNAL_WINDOW_MS = 1_000;

type Role = ChildSpec['role'];

/** One supervised position (role + index) and the process currently filling it. */
class Slot {
  current: Spawned | null = null;
  generation = 0;
  crashes = 0;
  /** Restarts after a crash since `start` (for status and metrics; never reset). */
  restarts = 0;
  /** The current process reported ready. */
  ready = false;
  startedAt = 0;
  restartTimer: NodeJS.Timeout | null = null;
  constructor(
    readonly role: Role,
    readonly index: number,
  ) {}
  get name(): string {
    return `${this.role} ${this.index}`;
  }
}

/** One position's answer to `gather`: `result` when it answered, else `error` saying why not. */
export interface GatherResult {
  role: Role;
  index: number;
  restarts: number;
  result?: unknown;
  error?: string;
}

export interface ReloadResult {
  ok: boolean;
  message: string;
  durationMs: number;
  /** Changed keys this reload could not apply (they need a restart of the cluster), dotted. */
  notApplied: string[];
}

/**
 * `gateworker start`: runs every role the config names as child processes, in order (register,
 * gateways, workers), restarts a crashed one with backoff, rolls workers over on reload, and stops
 * everything in order (gateways first, so workers still see the clients' onClose; then workers
 * drain; then the register).
 */
export class Supervisor {
  private readonly slots: Slot[] = [];
  private stopping = false;
  /** close() (stop()) idempotent: every call returns the same promise (see Lifecycle). */
  private readonly lifecycle = new Lifecycle();
  private reloading: Promise<ReloadResult> | null = null;
  /** With `discovery:`: the machine's one etcd / ZooKeeper session, relayed to the children. */
  readonly discovery: DiscoveryRelay | null;
  /** The config the processes run with; a reload replaces its worker section (see applyConfig). */
  private config: Config;
  /** Rolling reloads by result, for metrics. */
  readonly reloads = { ok: 0, failed: 0 };

  constructor(
    config: Config,
    private readonly logger: Logger,
    /** `logFile`: where every child logs (and reopens on SIGUSR2); unset = the inherited stdout. */
    private readonly options: { logFile?: string | undefined } = {},
  ) {
    this.discovery = config.discovery === undefined ? null : new DiscoveryRelay(config, logger);
    this.config = config;
    if (config.register !== undefined) this.slots.push(new Slot('register', 0));
    for (let i = 0; i < (config.gateway?.processes ?? 0); i++) this.slots.push(new Slot('gateway', i));
    for (let i = 0; i < (config.worker?.processes ?? 0); i++) this.slots.push(new Slot('worker', i));
  }

  /** Starts every role in order; rejects (after stopping what started) if any fails to come up. */
  async start(): Promise<string[]> {
    const summaries: string[] = [];
    this.discovery?.start();
    for (const role of ['register', 'gateway', 'worker'] as const) {
      const slots = this.slots.filter((s) => s.role === role);
      try {
        summaries.push(...(await Promise.all(slots.map((s) => this.launch(s)))));
      } catch (err) {
        await this.stop();
        throw err;
      }
    }
    return summaries;
  }

  /**
   * A live configuration change (config centre or watched file, see ConfigManager): every child
   * gets the configuration to run with and the changed keys, and applies what concerns its role;
   * a process started later gets it in its spec. Worker keys (processes, handler, timeouts) apply
   * through the same roll as reload (applyConfig): new workers ready before old ones drain,
   * scaling up or down; until that roll succeeds the running worker section stays.
   */
  async liveChange(config: Config, changed: readonly string[]): Promise<void> {
    const rolls = changed.some((k) => coveredBy(k, LIVE_KEYS.supervisor));
    this.config = rolls ? { ...config, ...(this.config.worker !== undefined && { worker: this.config.worker }) } : config;
    for (const slot of this.slots) slot.current?.send({ type: 'config', config: this.config, changed: [...changed] });
    if (!rolls) return;
    const result = await this.applyConfig(config);
    if (result.ok) this.logger.info({ changed }, `live change rolled the workers: ${result.message}`);
    else this.logger.error({ changed }, `live change could not roll the workers: ${result.message}`);
  }

  pids(): { role: Role; index: number; pid: number | undefined }[] {
    return this.slots.map((s) => ({ role: s.role, index: s.index, pid: s.current?.process.pid }));
  }

  /**
   * Asks every supervised position for a snapshot, its metrics or a lookup, in parallel. A
   * position with no process, or one that does not answer within `timeoutMs`, is reported with
   * `error` and no result.
   */
  async gather(what: ChildRequest['what'], timeoutMs: number, query?: string): Promise<GatherResult[]> {
    return Promise.all(
      this.slots.map(async (slot): Promise<GatherResult> => {
        const base = { role: slot.role, index: slot.index, restarts: slot.restarts };
        const current = slot.current;
        if (current === null) return { ...base, error: this.stopping ? 'stopped' : 'no process (restarting)' };
        if (!slot.ready) return { ...base, error: 'starting' };
        try {
          const result = await current.request(what, slot.restarts, timeoutMs, query);
          if (result !== null && typeof result === 'object' && 'error' in result) return { ...base, error: String(result.error) };
          return { ...base, result };
        } catch (err) {
          return { ...base, error: (err as Error).message };
        }
      }),
    );
  }

  private spec(slot: Slot): ChildSpec {
    return { role: slot.role, index: slot.index, generation: slot.generation, config: this.config, logFile: this.options.logFile };
  }

  /** Fills a slot with a fresh process and waits until it is ready. */
  private async launch(slot: Slot): Promise<string> {
    const spawned = this.spawn(slot);
    slot.current = spawned;
    slot.ready = false;
    slot.startedAt = performance.now();
    this.watch(slot, spawned);
    void spawned.ready.then(
      () => {
        if (slot.current === spawned) slot.ready = true;
      },
      () => {},
    );
    return spawned.ready;
  }

  /** Starts a process for the slot and, with discovery, relays the gateway list and records for it. */
  private spawn(slot: Slot): Spawned {
    const spawned = spawnChild(this.spec(slot), CHILD_READY_TIMEOUT_MS);
    const relay = this.discovery;
    if (relay !== null) {
      relay.attach(spawned);
      spawned.process.on('message', (m: ChildMessage) => relay.onMessage(spawned, m));
      void spawned.exited.then(() => relay.detach(spawned));
    }
    return spawned;
  }

  /**
   * Restarts the slot's process if it exits while it is still the slot's current one. A SIGTERM
   * the child reports is the ordered stop's business when the supervisor got one too (signal to
   * the process group); else it was meant for this child alone, which is then stopped gracefully
   * (and restarted like any exit).
   */
  private watch(slot: Slot, spawned: Spawned): void {
    spawned.onSignal((signal) => {
      setTimeout(() => {
        if (this.stopping || slot.current !== spawned) return;
        this.logger.info({ child: slot.name, pid: spawned.process.pid, signal }, `${slot.name} got ${signal}; stopping it`);
        spawned.send({ type: 'stop' });
      }, GROUP_SIGNAL_WINDOW_MS).unref();
    });
    void spawned.exited.then((code) => {
      if (slot.current !== spawned || this.stopping) return;
      slot.current = null;
      slot.ready = false;
      slot.restarts++;
      const ranMs = Math.round(performance.now() - slot.startedAt);
      slot.crashes = ranMs > RESTART_STABLE_AFTER_MS ? 1 : slot.crashes + 1;
      const delay = Math.min(RESTART_MAX_DELAY_MS, RESTART_INITIAL_DELAY_MS * 2 ** (slot.crashes - 1));
      this.logger.warn({ child: slot.name, exit: code, ranMs, restartInMs: delay }, `${slot.name} exited unexpectedly; restarting`);
      slot.restartTimer = setTimeout(() => {
        slot.restartTimer = null;
        // A position a reload removed meanwhile is not restarted.
        if (this.stopping || !this.slots.includes(slot)) return;
        slot.generation++;
        this.launch(slot).then(
          (summary) => this.logger.info({ child: slot.name }, `${slot.name} restarted: ${summary}`),
          (err: unknown) =>
            this.logger.error({ child: slot.name, err: err instanceof Error ? err.message : String(err) }, `${slot.name} failed to restart`),
        );
      }, delay);
    });
  }

  /** Rolling redeploy of the workers with the running config (the handler as it is on disk now). */
  reload(): Promise<ReloadResult> {
    return this.applyConfig(this.config);
  }

  /**
   * Applies a new config to the running cluster — what `gateworker reload` does after re-reading
   * the config file, and what a live config source calls on a change. The worker section applies
   * as a rolling redeploy: for each worker slot in turn, start a new process with the new config
   * (its handler as on disk now), wait until it is ready (connected to every gateway), then tell
   * the old one to drain; then start the slots `worker.processes` adds and drain the ones it
   * removes. Keys a reload cannot apply (listen addresses, gateway count, secret…) are reported in
   * `notApplied` and logged as a warning; the cluster keeps running with their old values. If a new
   * process fails, it is stopped, the running workers keep serving, the previous config stays in
   * force, and the result reports the error. Calls queue: each applies after the previous one.
   */
  applyConfig(next: Config): Promise<ReloadResult> {
    const run = (this.reloading ?? Promise.resolve()).catch(() => {}).then(() => this.roll(next));
    const tracked = run
      .then((result) => {
        if (result.ok) this.reloads.ok++;
        else this.reloads.failed++;
        return result;
      })
      .finally(() => {
        if (this.reloading === tracked) this.reloading = null;
      });
    this.reloading = tracked;
    return tracked;
  }

  private async roll(next: Config): Promise<ReloadResult> {
    const started = Date.now();
    const notApplied = unappliableChanges(this.config, next);
    if (notApplied.length > 0) {
      this.logger.warn({ notApplied }, `reload cannot apply ${notApplied.join(', ')}: they keep their running values until the cluster restarts`);
    }
    const previous = this.config;
    const target = appliedConfig(previous, next);
    const wanted = target.worker?.processes ?? 0;
    const workers = this.slots.filter((s) => s.role === 'worker');
    const done = (ok: boolean, message: string): ReloadResult => ({ ok, message, durationMs: Date.now() - started, notApplied });
    if (workers.length === 0 && wanted === 0) return done(false, 'no workers to reload');
    this.config = target;
    const draining: Promise<unknown>[] = [];
    const fail = async (message: string): Promise<ReloadResult> => {
      await Promise.all(draining);
      this.config = previous;
      this.logger.error({}, message);
      return done(false, message);
    };
    for (const slot of workers.slice(0, wanted)) {
      if (this.stopping) return done(false, 'stopping');
      const old = slot.current;
      slot.generation++;
      const fresh = this.spawn(slot);
      try {
        await fresh.ready;
      } catch (err) {
        fresh.send({ type: 'stop' });
        fresh.process.kill('SIGTERM');
        await Promise.all(draining);
        return fail(`reload failed: new ${slot.name} did not start: ${(err as Error).message}; the running workers keep serving`);
      }
      slot.current = fresh;
      slot.ready = true;
      slot.startedAt = performance.now();
      slot.crashes = 0;
      this.watch(slot, fresh);
      if (old !== null) draining.push(this.retire(old, `old ${slot.name}`));
    }
    // Scale up: new positions, started like at `start`.
    for (let index = workers.length; index < wanted; index++) {
      if (this.stopping) return done(false, 'stopping');
      const slot = new Slot('worker', index);
      this.slots.push(slot);
      try {
        await this.launch(slot);
      } catch (err) {
        this.slots.splice(this.slots.indexOf(slot), 1);
        const spawned = slot.current;
        slot.current = null;
        spawned?.process.kill('SIGTERM');
        return fail(`reload failed: new ${slot.name} did not start: ${(err as Error).message}; the running workers keep serving`);
      }
    }
    // Scale down: the positions past the new count drain and go.
    for (const slot of workers.slice(wanted)) {
      this.slots.splice(this.slots.indexOf(slot), 1);
      if (slot.restartTimer !== null) clearTimeout(slot.restartTimer);
      const old = slot.current;
      slot.current = null;
      if (old !== null) draining.push(this.retire(old, slot.name));
    }
    await Promise.all(draining);
    const durationMs = Date.now() - started;
    const scaled = wanted === workers.length ? '' : ` (worker.processes ${workers.length} → ${wanted})`;
    const message = `reloaded ${wanted} worker${wanted === 1 ? '' : 's'} in ${durationMs} ms${scaled}`;
    this.logger.info({ durationMs }, message);
    return { ok: true, message, durationMs, notApplied };
  }

  /** Asks a process to stop gracefully; kills it if it outstays its drain timeout. */
  private async retire(spawned: Spawned, name: string): Promise<void> {
    spawned.send({ type: 'stop' });
    const limit = (this.config.worker?.drainTimeout ?? DEFAULT_DRAIN_TIMEOUT_MS) + STOP_GRACE_MS;
    const timer = setTimeout(() => {
      this.logger.warn({ pid: spawned.process.pid }, `${name} did not stop within ${limit} ms; killing it`);
      spawned.process.kill('SIGKILL');
    }, limit);
    await spawned.exited;
    clearTimeout(timer);
  }

  /** Graceful stop of everything, in order; idempotent: every call returns the same promise. */
  close(): Promise<void> {
    return this.lifecycle.close(() => this.stopAll());
  }

  /** close()'s older name. */
  stop(): Promise<void> {
    return this.close();
  }

  private async stopAll(): Promise<void> {
    this.stopping = true;
    for (const slot of this.slots) {
      if (slot.restartTimer !== null) clearTimeout(slot.restartTimer);
    }
    await this.reloading?.catch(() => {});
    for (const role of ['gateway', 'worker', 'register'] as const) {
      await Promise.all(
        this.slots
          .filter((s) => s.role === role && s.current !== null)
          .map((s) => this.retire(s.current as Spawned, s.name).then(() => (s.current = null))),
      );
    }
    await this.discovery?.close();
  }

  /** Kills every child at once (second signal); a close() in progress carries on and sees them exit. */
  kill(): void {
    for (const slot of this.slots) slot.current?.process.kill('SIGKILL');
  }
}
