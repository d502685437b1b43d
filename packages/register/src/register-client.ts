import { EventEmitter } from 'node:events';
import {
  Op,
  opName,
  ProtocolError,
  type ClusterStatus,
  type GatewayInfo,
  type GatewayStats,
  type Message,
  type MessageOf,
  type RoutedOp,
  type WorkerInfo,
} from '@gateworker/protocol';
import { Lifecycle, type Logger } from '@gateworker/protocol/node';
import { describeError, RegisterError, RegisterErrorCode, summarizeRegisterErrors } from './errors.js';
import { GatewayView, mergeStatus, type MergedClusterStatus, type ViewChange } from './merge.js';
import {
  DEFAULT_REGISTER_READY_TIMEOUT_MS,
  DEFAULT_STATUS_TIMEOUT_MS,
  resolveRegisterClientOptions,
  type RegisterClientOptions,
  type ResolvedRegisterClientOptions,
} from './options.js';
import { CONFIG_ERRORS, RegisterConnection, unexpectedFromRegister, type ConnectionHooks } from './register-connection.js';

function codeOf(err: Error): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : '';
}

export interface RegisterClientEvents {
  'gateway-up': [info: GatewayInfo];
  'gateway-down': [gatewayId: string];
  'gateway-update': [info: GatewayInfo];
  'register-up': [address: string];
  'register-down': [address: string, error: Error | null];
  /** Once, when close() finished or destroy() ran. */
  close: [];
}

/** Messages a register sends to its clients (declared by `OpRoute` in @gateworker/protocol). Anything else closes the link. */
type InboundOp = RoutedOp<'register', 'gateway' | 'worker' | 'client'>;
type HandlerTable = { [O in InboundOp]: (connection: RegisterConnection, message: MessageOf<O>) => void };

interface ReadyWaiter {
  resolve(): void;
  reject(err: Error): void;
}

/** A status() call waiting for the registers' answers. */
interface PendingStatus {
  readonly requestId: number;
  readonly answers: Map<RegisterConnection, ClusterStatus>;
  /** The link each register was asked on: a register that reconnects is asked again. */
  readonly askedOn: Map<RegisterConnection, NonNullable<RegisterConnection['link']>>;
  finish(err: Error | null): void;
}

/**
 * The client side of the register, for gateways (announce, report stats), workers (subscribe,
 * report state) and clients (subscribe, query status). Connects to every listed register and
 * keeps reconnecting; `gateways()` is the merged view: a gateway is known while any connected
 * register knows it. Events fire on changes of the merged view only.
 */
export class RegisterClient extends EventEmitter<RegisterClientEvents> {
  private readonly options: ResolvedRegisterClientOptions;
  private readonly log: Logger;
  private readonly connections: RegisterConnection[];
  private readonly view = new GatewayView<RegisterConnection>();
  /**
   * Lost registers whose gateways are still in the view: when every register is gone the last
   * known view stays (discovery is advisory: losing it says nothing about the gateways), until a
   * register sends a fresh list.
   */
  private readonly stale = new Set<RegisterConnection>();
  private readonly handlers: HandlerTable;
  /** Role gateway: what is announced, with the latest stats. */
  private gateway: GatewayInfo | null;
  /** Role worker: the latest state, sent with Subscribe and WorkerStats. */
  private worker: WorkerInfo | null;
  /** Stats or worker info changed since the last tick. */
  private dirty = false;
  /** Worker state last sent, so a state change is sent at once. */
  private sentWorkerState: WorkerInfo['state'] | null = null;
  private statsTimer: NodeJS.Timeout | null = null;
  private readonly readyWaiters = new Set<ReadyWaiter>();
  private readonly pendingStatus = new Map<number, PendingStatus>();
  private nextRequestId = 1;
  private state: 'new' | 'started' | 'closed' = 'new';
  /** close() idempotent, destroy() safe during it, one 'close' event (see Lifecycle). */
  private readonly lifecycle = new Lifecycle(() => this.emit('close'));

  constructor(options: RegisterClientOptions) {
    super();
    this.options = resolveRegisterClientOptions(options);
    this.log = this.options.logger;
    this.gateway = this.options.gateway;
    this.worker = this.options.worker;
    const hooks: ConnectionHooks = {
      onUp: (c) => this.onRegisterUp(c),
      onMessage: (c, m) => this.dispatch(c, m),
      onDown: (c, err) => this.onRegisterDown(c, err),
      onAttemptFailed: () => {
        this.checkStatus();
        this.checkRefused();
      },
    };
    this.connections = this.options.registers.map((r) => new RegisterConnection(r, this.options, hooks));
    this.handlers = {
      [Op.GatewayList]: (c, m) => {
        c.listed = true;
        this.apply(this.view.replace(c, m.gateways));
        // A register answers again: what the lost ones said is no longer kept.
        for (const old of this.stale) if (old !== c) this.apply(this.view.dropSource(old));
        this.stale.clear();
        this.checkReady();
      },
      [Op.GatewayUp]: (c, m) => this.apply(this.view.up(c, m.gateway)),
      [Op.GatewayDown]: (c, m) => this.apply(this.view.down(c, m.gatewayId)),
      [Op.StatusReply]: (c, m) => this.onStatusReply(c, m),
      [Op.Error]: (c, m) => {
        const err = ProtocolError.fromWire(m.code, m.message);
        c.notePeerError(err);
        this.log.error({ register: c.address, code: err.code }, `register ${c.address} refused us: ${m.message}`);
      },
    };
  }

  /** Connects to every register; reconnects forever with backoff and jitter until close(). */
  start(): void {
    if (this.state !== 'new') return;
    this.state = 'started';
    this.statsTimer = setInterval(() => this.tick(), this.options.statsIntervalMs);
    this.statsTimer.unref();
    for (const c of this.connections) c.start();
  }

  /**
   * Resolves once a register has accepted us and (roles worker, client) delivered its gateway
   * list. Rejects after `timeoutMs` with a RegisterError (GW_ERR_REGISTER_NOT_READY) naming every
   * register and its last error; `registerErrors` holds them.
   */
  ready(timeoutMs: number = DEFAULT_REGISTER_READY_TIMEOUT_MS): Promise<void> {
    if (this.state === 'closed') return Promise.reject(this.closedError());
    if (this.isReady()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: ReadyWaiter = {
        resolve: () => {
          clearTimeout(timer);
          this.readyWaiters.delete(waiter);
          resolve();
        },
        reject: (err) => {
          clearTimeout(timer);
          this.readyWaiters.delete(waiter);
          reject(err);
        },
      };
      const timer = setTimeout(() => {
        const what = this.options.role === 'gateway' ? 'accepted us' : 'accepted us and sent its gateway list';
        waiter.reject(this.registersError(RegisterErrorCode.NotReady, `no register ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.readyWaiters.add(waiter);
    });
  }

  /** The merged view, keyed by gatewayId. Live; do not mutate. */
  gateways(): ReadonlyMap<string, GatewayInfo> {
    return this.view.gateways;
  }

  /** Role gateway: new live stats, sent with the next stats tick (and in every Announce). */
  updateStats(stats: GatewayStats): void {
    if (this.gateway === null) throw this.wrongRole('updateStats', 'gateway');
    this.gateway = { ...this.gateway, stats: { ...stats } };
    this.dirty = true;
  }

  /** Role worker: a state change is sent at once, other changes with the next stats tick. */
  updateWorker(info: WorkerInfo): void {
    if (this.worker === null) throw this.wrongRole('updateWorker', 'worker');
    this.worker = { ...info };
    this.dirty = true;
    if (info.state !== this.sentWorkerState) this.sendWorkerStats();
  }

  /**
   * Asks the registers for the cluster status and merges their answers. Waits for every register
   * to answer or to be found down (registers connecting meanwhile are asked too), at most
   * `timeoutMs`; resolves with what answered, or rejects with a RegisterError
   * (GW_ERR_REGISTER_NO_ANSWER) when none did.
   */
  status(timeoutMs: number = DEFAULT_STATUS_TIMEOUT_MS): Promise<MergedClusterStatus> {
    if (this.state === 'closed') return Promise.reject(this.closedError());
    return new Promise((resolve, reject) => {
      const requestId = this.nextRequestId++;
      const pending: PendingStatus = {
        requestId,
        answers: new Map(),
        askedOn: new Map(),
        finish: (err) => {
          clearTimeout(timer);
          this.pendingStatus.delete(requestId);
          if (err !== null) reject(err);
          else if (pending.answers.size === 0) reject(this.registersError(RegisterErrorCode.NoAnswer, 'no register answered the status query'));
          else resolve(this.mergeAnswers(pending));
        },
      };
      const timer = setTimeout(() => pending.finish(null), timeoutMs);
      this.pendingStatus.set(requestId, pending);
      for (const c of this.connections) this.askStatus(c, pending);
      this.checkStatus();
    });
  }

  /** Closes every register link and stops reconnecting; pending calls reject. Idempotent: every call returns the same promise. */
  close(): Promise<void> {
    return this.lifecycle.close(async () => {
      this.stop();
      await Promise.all(this.connections.map((c) => c.close()));
    });
  }

  /** Immediate: drops every register link without flushing; pending calls reject. Safe during close(); 'close' is emitted once. */
  destroy(): void {
    this.lifecycle.destroy(() => {
      this.stop();
      for (const c of this.connections) c.destroy();
    });
  }

  private stop(): void {
    this.state = 'closed';
    if (this.statsTimer !== null) clearInterval(this.statsTimer);
    this.statsTimer = null;
    for (const waiter of [...this.readyWaiters]) waiter.reject(this.closedError());
    for (const pending of [...this.pendingStatus.values()]) pending.finish(this.closedError());
  }

  /** How many of the listed registers are connected now (for readiness and status). */
  get connectedRegisters(): number {
    let n = 0;
    for (const c of this.connections) if (c.isConnected) n++;
    return n;
  }

  private isReady(): boolean {
    const subscriber = this.options.role !== 'gateway';
    return this.connections.some((c) => c.isConnected && (!subscriber || c.listed));
  }

  /**
   * Fails ready() at once when every register refused us for a reason retrying will not fix
   * (wrong secret, other cluster, other protocol version): a misconfigured process fails fast.
   */
  private checkRefused(): void {
    if (this.readyWaiters.size === 0) return;
    const refused = this.connections.every((c) => !c.isConnected && c.lastError !== null && CONFIG_ERRORS.has(codeOf(c.lastError)));
    if (!refused) return;
    const err = this.registersError(RegisterErrorCode.NotReady, 'every register refused us');
    for (const waiter of [...this.readyWaiters]) waiter.reject(err);
  }

  private checkReady(): void {
    if (this.readyWaiters.size > 0 && this.isReady()) for (const waiter of [...this.readyWaiters]) waiter.resolve();
  }

  private onRegisterUp(c: RegisterConnection): void {
    if (this.gateway !== null) c.link?.send({ op: Op.Announce, gateway: this.gateway });
    else c.link?.send({ op: Op.Subscribe, worker: this.worker });
    if (this.worker !== null) this.sentWorkerState = this.worker.state;
    this.emitSafely('register-up', c.address);
    this.checkReady();
    for (const pending of this.pendingStatus.values()) this.askStatus(c, pending);
  }

  private onRegisterDown(c: RegisterConnection, err: Error | null): void {
    if (this.options.role !== 'gateway' && !this.connections.some((o) => o !== c && o.isConnected && o.listed)) {
      // The last register answering is gone: keep its view rather than report every gateway down.
      if (this.stale.size === 0) {
        this.log.warn(
          { register: c.address, gateways: this.view.gateways.size },
          'no register answering: keeping the last known gateway list until one is back',
        );
      }
      this.stale.add(c);
    } else {
      // Another register answers: what only this one knew is down; its list brings it back after the reconnect.
      this.apply(this.view.dropSource(c));
    }
    this.emitSafely('register-down', c.address, err);
    this.checkStatus();
  }

  private dispatch(c: RegisterConnection, message: Message): void {
    const handler = (this.handlers as Partial<Record<number, (c: RegisterConnection, m: Message) => void>>)[message.op];
    if (handler !== undefined) {
      handler(c, message);
      return;
    }
    const err = unexpectedFromRegister(opName(message.op));
    this.log.warn({ register: c.address, code: err.code }, `closing the link to register ${c.address}: ${err.message}`);
    c.notePeerError(err);
    c.link?.fail(err);
  }

  private apply(changes: ViewChange[]): void {
    for (const change of changes) {
      if (change.kind === 'down') {
        this.log.debug({ gatewayId: change.gatewayId }, 'gateway down');
        this.emitSafely('gateway-down', change.gatewayId);
      } else {
        this.log.debug({ gatewayId: change.gateway.gatewayId, address: change.gateway.address }, `gateway ${change.kind}`);
        this.emitSafely(change.kind === 'up' ? 'gateway-up' : 'gateway-update', change.gateway);
      }
    }
  }

  /** A throwing listener must not break the register link that delivered the message. */
  private emitSafely<E extends keyof RegisterClientEvents>(event: E, ...args: RegisterClientEvents[E]): void {
    try {
      (this.emit as (event: string, ...args: unknown[]) => boolean)(event, ...args);
    } catch (err) {
      this.log.error({ err, event }, `a "${event}" listener threw`);
    }
  }

  private tick(): void {
    if (!this.dirty) return;
    if (this.gateway !== null) {
      this.dirty = false;
      const { stats } = this.gateway;
      for (const c of this.connections) c.link?.send({ op: Op.GatewayStats, stats });
    } else if (this.worker !== null) this.sendWorkerStats();
  }

  private sendWorkerStats(): void {
    const worker = this.worker;
    if (worker === null) return;
    this.dirty = false;
    let sent = false;
    for (const c of this.connections) sent = (c.link?.send({ op: Op.WorkerStats, worker }) ?? false) || sent;
    if (sent) this.sentWorkerState = worker.state;
  }

  private askStatus(c: RegisterConnection, pending: PendingStatus): void {
    const link = c.link;
    if (link === null || pending.answers.has(c) || pending.askedOn.get(c) === link) return;
    pending.askedOn.set(c, link);
    link.send({ op: Op.StatusQuery, requestId: pending.requestId });
  }

  private onStatusReply(c: RegisterConnection, { requestId, status }: MessageOf<typeof Op.StatusReply>): void {
    const pending = this.pendingStatus.get(requestId);
    if (pending === undefined) return; // answered after the timeout
    pending.answers.set(c, status);
    this.checkStatus();
  }

  /** Finishes status queries that have heard from every register that can still answer. */
  private checkStatus(): void {
    for (const pending of [...this.pendingStatus.values()]) {
      const waiting = this.connections.some((c) => !pending.answers.has(c) && (c.isConnected || !c.attemptedOnce));
      if (!waiting) pending.finish(null);
    }
  }

  private mergeAnswers(pending: PendingStatus): MergedClusterStatus {
    const answers = [];
    const missing = [];
    for (const c of this.connections) {
      const status = pending.answers.get(c);
      if (status !== undefined) answers.push({ address: c.address, status });
      else missing.push({ address: c.address, error: c.isConnected ? 'no answer in time' : describeError(c.lastError) });
    }
    return mergeStatus(answers, missing);
  }

  private registersError(code: RegisterErrorCode, what: string): RegisterError {
    const registerErrors = new Map(this.connections.map((c) => [c.address, c.lastError] as const));
    const started = this.state === 'new' ? ' (start() was not called)' : '';
    const cause = [...registerErrors.values()].find((e) => e !== null);
    return new RegisterError(code, `${what}${started}: ${summarizeRegisterErrors(registerErrors)}`, {
      registerErrors,
      ...(cause === undefined || cause === null ? {} : { cause }),
    });
  }

  private closedError(): RegisterError {
    return new RegisterError(RegisterErrorCode.Closed, 'the register client is closed');
  }

  private wrongRole(method: string, role: string): RegisterError {
    return new RegisterError(RegisterErrorCode.WrongRole, `${method}() is for role ${role}; this client's role is ${this.options.role}`);
  }
}
