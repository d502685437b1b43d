import { EventEmitter } from 'node:events';
import { Op } from '@gateworker/protocol';
import type { WorkerInfo } from '@gateworker/protocol';
import { Lifecycle, withTimeout, type Logger } from '@gateworker/protocol/node';
import type { ClientEnv } from './client.js';
import { ClusterApiImpl } from './cluster-api.js';
import type { ClusterApi } from './cluster-api-types.js';
import type { GatewayDirectory } from './directory.js';
import { Dispatcher } from './dispatch.js';
import { ClosedError, WorkerError, WorkerErrorCode } from './errors.js';
import { GatewayLinks } from './gateway-links.js';
import type { AppConfig, Handler, WorkerContext } from './handler.js';
import type { LinkSession } from './link-session.js';
import { resolveWorkerOptions, type BusinessWorkerOptions, type ResolvedWorkerOptions } from './options.js';
import { QueryManager } from './query.js';
import { DEFAULT_REGISTER_READY_TIMEOUT_MS } from '@gateworker/register';
import { createDirectory } from './register-directory.js';
import { snapshotCallbacks, type CallbackName, type CallbackSnapshot, type HistogramSnapshot } from './stats.js';

export type BusinessWorkerState = 'starting' | 'ready' | 'draining' | 'closed';

/** One gateway of the worker's list and the state of its link. */
export interface WorkerGatewaySnapshot {
  gatewayId: string;
  address: string;
  /** connecting: no link yet; linked: handshake done, WorkerReady not sent; ready: events flow. */
  state: 'connecting' | 'linked' | 'ready';
}

/** What `BusinessWorker.snapshot()` reports. */
export interface WorkerSnapshot {
  workerId: string;
  state: BusinessWorkerState;
  inflight: number;
  handled: number;
  /** Clients this worker holds state for. */
  clients: number;
  /** Gateways the directory lists now. */
  gatewaysListed: number;
  gateways: WorkerGatewaySnapshot[];
  callbacks: Record<CallbackName, CallbackSnapshot>;
  /** Query durations per cluster-API method. */
  queries: Record<string, HistogramSnapshot>;
}

/**
 * The business worker: runs the handler module against every gateway in the register's list.
 *
 * Lifecycle: `start()` connects to the registers and to every listed gateway, runs onWorkerStart,
 * then sends WorkerReady on each link and resolves once every listed gateway has a ready link.
 * `drain()` is the rolling-reload exit of internals.md: Drain to every gateway, wait for each
 * DrainAck and for every event received to be finished and acknowledged, run onWorkerStop,
 * close the links. Nothing is lost or handled twice: whatever is not acknowledged when a link
 * dies is re-sent by its gateway. `close()` is drain(); `destroy()` drops every link at once.
 * Emits `'close'` once, when drain/close finished or destroy ran.
 */
export class BusinessWorker extends EventEmitter<{ close: [] }> {
  readonly options: ResolvedWorkerOptions;
  /** The cluster API, as `worker.gateway` in onWorkerStart/onWorkerStop. */
  readonly gateway: ClusterApi;
  readonly logger: Logger;
  private currentState: BusinessWorkerState = 'starting';
  private readonly directory: GatewayDirectory;
  private readonly links: GatewayLinks;
  private readonly queries = new QueryManager();
  private readonly dispatcher: Dispatcher;
  private readonly context: WorkerContext;
  private readonly handler: Handler;
  /** onWorkerStart is done: links send WorkerReady as soon as they connect. */
  private activated = false;
  private starting: Promise<void> | null = null;
  /** drain()/close() idempotent, destroy() safe during them, one 'close' event (see Lifecycle). */
  private readonly lifecycle = new Lifecycle(() => this.emit('close'));
  private statsTimer: NodeJS.Timeout | null = null;
  /** The `app` snapshot handlers read as `worker.config` (deep-frozen; replaced whole by reconfigure). */
  private appConfig: Readonly<AppConfig>;
  /** onConfigChange calls run one at a time, in order of the changes. */
  private configChanges: Promise<void> = Promise.resolve();

  constructor(options: BusinessWorkerOptions) {
    super();
    this.options = resolveWorkerOptions(options);
    const o = this.options;
    this.logger = o.logger.child({ workerId: o.workerId });
    this.handler = o.handler as Handler;
    this.directory = createDirectory(o, 'worker', o.nodeId, this.info());
    this.links = new GatewayLinks(
      this.directory,
      {
        role: 'worker',
        secret: o.secret,
        nodeId: o.nodeId,
        link: o.link,
        reconnect: o.reconnect,
        logger: this.logger,
        cluster: o.cluster,
        commandBuffer: o.commandBuffer,
      },
      {
        onEvent: (session, event) => this.dispatcher.onEvent(session, event),
        onQueryReply: (session, reply) => this.queries.onReply(session, reply),
        onSessionOpen: (session) => this.sessionOpened(session),
        onSessionClosed: (session) => this.sessionClosed(session),
      },
    );
    const api = new ClusterApiImpl({
      links: this.links,
      queries: this.queries,
      logger: this.logger,
      queryTimeoutMs: o.queryTimeoutMs,
      whenUsable: () => null,
      get local() {
        return dispatcher;
      },
    });
    this.gateway = api;
    const env: ClientEnv = { api, links: this.links, logger: this.logger };
    const dispatcher = new Dispatcher(this.handler, env, this.logger);
    this.dispatcher = dispatcher;
    this.appConfig = deepFreeze(structuredClone(o.config));
    const worker = this;
    this.context = {
      id: o.workerId,
      gateway: api,
      logger: this.logger,
      get config() {
        return worker.appConfig;
      },
    };
  }

  get state(): BusinessWorkerState {
    return this.currentState;
  }

  get workerId(): string {
    return this.options.workerId;
  }

  /** For status: what the register shows about this worker. */
  info(): WorkerInfo {
    let gateways = 0;
    // `links` is not yet built while the constructor asks for the first info.
    if (this.links !== undefined) for (const s of this.links.sessions()) if (s.readySent) gateways++;
    return {
      workerId: this.options.workerId,
      nodeId: this.options.nodeId,
      pid: process.pid,
      state: this.currentState === 'closed' ? 'draining' : this.currentState,
      inflight: this.dispatcher?.inflight ?? 0,
      handled: this.dispatcher?.handled ?? 0,
      gateways,
    };
  }

  /**
   * Everything an operator sees of this worker (metrics, status, the topology page), read from
   * plain fields: cheap enough to call every second.
   */
  snapshot(): WorkerSnapshot {
    const gateways: WorkerGatewaySnapshot[] = [];
    for (const p of this.links.all()) {
      const session = p.session;
      gateways.push({ gatewayId: p.gatewayId, address: p.address, state: session === null ? 'connecting' : session.readySent ? 'ready' : 'linked' });
    }
    return {
      workerId: this.options.workerId,
      state: this.currentState,
      inflight: this.dispatcher.inflight,
      handled: this.dispatcher.handled,
      clients: this.dispatcher.clientCount,
      gatewaysListed: this.directory.gateways().size,
      gateways,
      callbacks: snapshotCallbacks(this.dispatcher.callbackStats),
      queries: this.queries.snapshot(),
    };
  }

  /**
   * Resolves once the worker is READY: a link with WorkerReady sent to every gateway currently
   * listed (at once if the register lists none). Rejects with a ReadyTimeoutError after
   * readyTimeoutMs (the worker keeps connecting; close() it to give up), with a WorkerError
   * (GW_ERR_WORKER_START) if onWorkerStart throws, or a ClosedError if closed meanwhile.
   */
  start(): Promise<void> {
    this.starting ??= this.run();
    return this.starting;
  }

  private async run(): Promise<void> {
    const deadline = performance.now() + this.options.readyTimeoutMs;
    const remaining = (): number => Math.max(1, deadline - performance.now());
    this.statsTimer = setInterval(() => this.pushInfo(), this.options.statsIntervalMs);
    this.statsTimer.unref();
    this.directory.start();
    this.links.start();
    // No register answering (wrong secret, wrong address) fails fast, with the register client's reasons.
    await this.directory.ready(Math.min(remaining(), DEFAULT_REGISTER_READY_TIMEOUT_MS));
    this.checkOpen();
    this.links.sync();
    // Give onWorkerStart usable links (queries, sends), but do not fail here: the READY wait below names what is missing.
    await this.links.whenAll((p) => p.session !== null, remaining(), 'worker').catch(() => {});
    this.checkOpen();
    try {
      await this.handler.onWorkerStart?.(this.context);
    } catch (err) {
      this.logger.error({ err }, 'onWorkerStart failed');
      // A drain already under way does the shutdown; else this is the worker's close.
      if (!this.lifecycle.stopping) await this.lifecycle.close(() => this.shutdown(false));
      throw new WorkerError(WorkerErrorCode.WorkerStart, `onWorkerStart failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    this.checkOpen();
    this.activated = true;
    for (const session of this.links.sessions()) this.sendReady(session);
    await this.links.whenAll((p) => p.session?.readySent === true, remaining(), 'worker');
    this.checkOpen();
    this.setState('ready');
    this.logger.info({ gateways: this.links.size }, 'worker ready');
  }

  private checkOpen(): void {
    if (this.currentState === 'draining' || this.currentState === 'closed') throw new ClosedError('the worker');
  }

  /** Graceful exit for a rolling reload; idempotent (every call returns the same promise). */
  drain(): Promise<void> {
    return this.lifecycle.close(() => this.runDrain());
  }

  /** The `app` snapshot handlers see as `worker.config`. */
  get config(): Readonly<AppConfig> {
    return this.appConfig;
  }

  /**
   * A live configuration change: replaces `worker.config` with `app` at once, then calls the
   * handler's onConfigChange with the applied keys (`changed`, dotted) and both snapshots. Calls
   * never overlap; the returned promise settles when this change's callback has run (an error in
   * it is logged, not thrown: the change is applied either way).
   */
  reconfigure(app: AppConfig, changed: readonly string[]): Promise<void> {
    const previous = this.appConfig;
    const current = deepFreeze(structuredClone(app));
    this.appConfig = current;
    const callback = this.handler.onConfigChange;
    if (callback === undefined || this.currentState === 'closed') return this.configChanges;
    const change = Object.freeze({ changed: Object.freeze([...changed]), previous, current });
    this.configChanges = this.configChanges.then(async () => {
      try {
        await callback.call(this.handler, this.context, change);
      } catch (err) {
        this.logger.error({ err, changed }, 'onConfigChange failed');
      }
    });
    return this.configChanges;
  }

  /** Same as drain(); idempotent. */
  close(): Promise<void> {
    return this.drain();
  }

  /** The client whose handler callback is running (its synchronous part) right now, else null. */
  currentClientId(): string | null {
    return this.dispatcher.runningClientId;
  }

  /**
   * Closes every link at once; unacknowledged events are re-sent by the gateways to other workers.
   * Safe during drain()/close(), which then resolve (onWorkerStop is not run).
   */
  destroy(): void {
    this.lifecycle.destroy(() => {
      this.setState('closed');
      this.stopStats();
      this.links.destroy();
      this.queries.abortAll();
      void this.directory.close().catch(() => {});
    });
  }

  private async runDrain(): Promise<void> {
    const started = performance.now();
    const wasActivated = this.activated;
    this.setState('draining');
    this.links.stopConnecting();
    this.links.abortWaiters(new ClosedError('the worker'));
    const sessions = this.links.sessions().filter((s) => s.readySent);
    this.logger.info({ gateways: sessions.length, inflight: this.dispatcher.inflight }, 'draining');
    const drained = Promise.all(sessions.map((s) => s.drain())).then(() => this.dispatcher.whenIdle());
    const inTime = await withTimeout(drained, this.options.drainTimeoutMs);
    if (this.lifecycle.closed) return; // destroy() overtook the drain
    if (!inTime) {
      const waiting = sessions.filter((s) => s.alive && !(s.drainAcked && s.acks.settled)).map((s) => `${s.gatewayId}@${s.address}`);
      this.logger.warn(
        { drainTimeoutMs: this.options.drainTimeoutMs, inflight: this.dispatcher.inflight, gateways: waiting },
        'drain timed out; closing anyway (the gateways re-send what was not acknowledged)',
      );
    }
    if (this.starting !== null)
      await withTimeout(
        this.starting.catch(() => {}),
        this.options.drainTimeoutMs,
      );
    if (this.lifecycle.closed) return;
    await this.shutdown(wasActivated || this.activated);
    this.logger.info({ ms: Math.round(performance.now() - started), handled: this.dispatcher.handled }, 'worker closed');
  }

  private async shutdown(runStopHook: boolean): Promise<void> {
    if (runStopHook) {
      const stop = this.handler.onWorkerStop;
      if (stop !== undefined) {
        const done = Promise.resolve()
          .then(() => stop.call(this.handler, this.context))
          .then(
            () => true,
            (err: unknown) => {
              this.logger.error({ err }, 'onWorkerStop failed');
              return true;
            },
          );
        if (!(await withTimeout(done, this.options.drainTimeoutMs))) this.logger.warn({}, 'onWorkerStop did not finish in time');
      }
    }
    this.setState('closed');
    this.stopStats();
    this.queries.abortAll();
    await this.links.close();
    await this.directory.close().catch((err: unknown) => this.logger.debug({ err }, 'closing the register client failed'));
  }

  private sessionOpened(session: LinkSession): void {
    if (this.activated && (this.currentState === 'starting' || this.currentState === 'ready')) this.sendReady(session);
  }

  private sessionClosed(session: LinkSession): void {
    this.queries.sessionClosed(session);
    this.dispatcher.sessionClosed(session);
    if (session.readySent) this.pushInfo();
  }

  private sendReady(session: LinkSession): void {
    if (session.readySent || !session.alive) return;
    session.sendMessage({ op: Op.WorkerReady, workerId: this.options.workerId, pid: process.pid });
    session.readySent = true;
    this.links.changed();
    this.pushInfo();
  }

  private setState(state: BusinessWorkerState): void {
    if (this.currentState === state) return;
    this.currentState = state;
    this.pushInfo();
  }

  private pushInfo(): void {
    if (this.currentState === 'closed') return;
    try {
      this.directory.updateWorker?.(this.info());
    } catch (err) {
      this.logger.debug({ err }, 'cannot push worker info to the register');
    }
  }

  private stopStats(): void {
    if (this.statsTimer !== null) clearInterval(this.statsTimer);
    this.statsTimer = null;
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
