import { createHash } from 'node:crypto';
import { clientIdFor, decodeSession, mergeSessionBytes, mergeSessionPatch, Op } from '@gateworker/protocol';
import type { ClientCloseMsg, ClientConnectMsg, ClientMessageMsg, ClientPoisonMsg } from '@gateworker/protocol';
import type { Logger } from '@gateworker/protocol/node';
import { ClientContext, type ClientEnv } from './client.js';
import type { Handler } from './handler.js';
import type { ClientEvent, LinkSession } from './link-session.js';
import { callbackStatsTable, nowMs, type CallbackName } from './stats.js';
import { bytesEqual, changedSessionBytes } from './session.js';

/** Hooks through which the cluster API keeps this worker's copies of its clients current. */
export interface LocalClients {
  sessionSet(gatewayId: string, client: number, bytes: Buffer): void;
  sessionUpdated(gatewayId: string, client: number, patchBytes: Buffer): void;
  uidChanged(gatewayId: string, client: number, uid: string | null): void;
}

type Runner<E extends ClientEvent> = (d: Dispatcher, c: ClientContext, source: LinkSession, event: E) => void;
type Runners = { [O in ClientEvent['op']]: Runner<Extract<ClientEvent, { op: O }>> };

const runners: Runners = {
  [Op.ClientConnect]: (d, c, s, e) => d.runConnect(c, s, e),
  [Op.ClientMessage]: (d, c, s, e) => d.runMessage(c, s, e),
  [Op.ClientClose]: (d, c, s, e) => d.runClose(c, s, e),
  [Op.ClientPoison]: (d, c, s, e) => d.runPoison(c, s, e),
};

/** The digest a poisoned message is logged with (gateway and worker alike): sha256, first 16 hex characters. */
export function poisonDigest(payload: Uint8Array): string {
  return payload.length === 0 ? '' : createHash('sha256').update(payload).digest('hex').slice(0, 16);
}

/** WebSocket close code for a client the application refused. */
const WS_POLICY_VIOLATION = 1008;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * Client events → handler callbacks. Per client: one event at a time, in arrival order (later
 * events queue behind a callback that returned a promise); different clients run concurrently.
 * A callback that throws or rejects is logged and its event still counts as finished. After a
 * callback the session is written back (SetSession) if it changed, then the event is finished,
 * which lets its link acknowledge it. A synchronous callback costs no promise.
 */
export class Dispatcher implements LocalClients {
  /** gatewayId → client number → client. */
  private readonly clients = new Map<string, Map<number, ClientContext>>();
  /** Events received and not yet finished (queued ones included). */
  inflight = 0;
  /** Events finished since start. */
  handled = 0;
  /** Durations and failures per handler callback (for metrics and status). */
  readonly callbackStats = callbackStatsTable();
  /**
   * The client whose callback is running its synchronous part right now, else null: lets the
   * process attribute `console.*` output to a client without a per-event async context.
   */
  runningClientId: string | null = null;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly handler: Handler,
    private readonly env: ClientEnv,
    private readonly logger: Logger,
  ) {}

  /** Number of clients this worker holds state for. */
  get clientCount(): number {
    let n = 0;
    for (const table of this.clients.values()) n += table.size;
    return n;
  }

  /** The client, if this worker holds it. */
  client(gatewayId: string, number: number): ClientContext | undefined {
    return this.clients.get(gatewayId)?.get(number);
  }

  onEvent(source: LinkSession, event: ClientEvent): void {
    let table = this.clients.get(source.gatewayId);
    if (table === undefined) {
      table = new Map();
      this.clients.set(source.gatewayId, table);
    }
    let c = table.get(event.client);
    if (c === undefined) {
      c = new ClientContext(this.env, clientIdFor(source.gatewayId, event.client), source.gatewayId, event.client, source);
      table.set(event.client, c);
    }
    this.inflight++;
    if (c.busy) {
      (c.queue ??= []).push({ source, event });
      return;
    }
    this.begin(c, source, event);
    if (!c.busy) this.pump(c);
  }

  /** A link died: its queued events are dropped when reached; idle clients last served by it are forgotten. */
  sessionClosed(source: LinkSession): void {
    const table = this.clients.get(source.gatewayId);
    if (table === undefined) return;
    for (const c of table.values()) {
      if (c.via !== source) continue;
      c.orphaned = true;
      if (!c.busy) this.pump(c);
    }
  }

  /** Resolves once no event is in flight. */
  whenIdle(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  // ---- LocalClients: the cluster API changed something of a client we may hold ----

  sessionSet(gatewayId: string, client: number, bytes: Buffer): void {
    const c = this.client(gatewayId, client);
    if (c === undefined) return;
    c.sessionBytes = bytes;
    c.setSessionObject(decodeSession(bytes));
  }

  sessionUpdated(gatewayId: string, client: number, patchBytes: Buffer): void {
    const c = this.client(gatewayId, client);
    if (c === undefined) return;
    // What the gateway now holds: its copy merged with the patch. Local changes not yet written
    // back stay in the live object, so the next write-back still sends them.
    c.sessionBytes = mergeSessionBytes(c.sessionBytes, patchBytes);
    mergeSessionPatch(c.session, decodeSession(patchBytes));
  }

  uidChanged(gatewayId: string, client: number, uid: string | null): void {
    const c = this.client(gatewayId, client);
    if (c !== undefined) c.uid = uid;
  }

  // ---- running events ----

  private begin(c: ClientContext, source: LinkSession, event: ClientEvent): void {
    c.busy = true;
    c.via = source;
    c.orphaned = false;
    if (event.session !== null) {
      // The client's state travels together: session bytes and the bound uid (absent = none).
      this.absorbSession(c, event.session);
      c.uid = event.uid ?? null;
    }
    (runners[event.op] as Runner<ClientEvent>)(this, c, source, event);
  }

  /** Runs queued events of an idle client until one goes async; forgets the client when done with it. */
  private pump(c: ClientContext): void {
    while (!c.busy) {
      const next = c.queue?.shift();
      if (next === undefined) {
        c.queue = null;
        if (c.gone || c.orphaned) this.forget(c);
        return;
      }
      if (!next.source.alive) {
        // The gateway re-sends what its dead link did not get acknowledged; handling it here too would duplicate it.
        this.settled();
        continue;
      }
      this.begin(c, next.source, next.event);
    }
  }

  /** @internal */
  runMessage(c: ClientContext, source: LinkSession, event: ClientMessageMsg): void {
    const fn = this.handler.onMessage;
    if (fn === undefined || c.rejected) return this.complete(c, source, event.seq, false);
    const stats = this.callbackStats.onMessage;
    const started = nowMs();
    let result: unknown;
    this.runningClientId = c.id;
    try {
      result = fn.call(this.handler, c, event.binary ? event.payload : event.payload.toString('utf8'));
    } catch (err) {
      stats.errors++;
      this.report(c, 'onMessage', err);
    } finally {
      this.runningClientId = null;
    }
    if (isThenable(result)) {
      const seq = event.seq;
      result.then(
        () => {
          stats.duration.observe((nowMs() - started) / 1000);
          this.completeAsync(c, source, seq, true);
        },
        (err: unknown) => {
          stats.duration.observe((nowMs() - started) / 1000);
          stats.errors++;
          this.report(c, 'onMessage', err);
          this.completeAsync(c, source, seq, true);
        },
      );
      return;
    }
    stats.duration.observe((nowMs() - started) / 1000);
    this.complete(c, source, event.seq, true);
  }

  /** @internal A quarantined event: the handler's onPoison, never the original callback. */
  runPoison(c: ClientContext, source: LinkSession, event: ClientPoisonMsg): void {
    const fn = this.handler.onPoison;
    const message = event.event === 'message' ? (event.binary ? event.payload : event.payload.toString('utf8')) : null;
    const info = { event: event.event, deliveries: event.deliveries, digest: poisonDigest(event.payload) };
    this.logger.warn({ clientId: c.id, ...info }, 'poison event quarantined by the gateway');
    if (fn === undefined) return this.complete(c, source, event.seq, false);
    this.step(
      c,
      'onPoison',
      () => fn.call(this.handler, c, message, info),
      false,
      (_v, _f, isAsync) => this.finishStep(c, source, event.seq, isAsync),
    );
  }

  /** @internal */
  runConnect(c: ClientContext, source: LinkSession, event: ClientConnectMsg): void {
    c.applyConnectInfo(event.info);
    c.rejected = false;
    c.gone = false;
    const request = event.info.request;
    const afterConnect = (async: boolean): void => {
      const onWs = this.handler.onWebSocketConnect;
      if (request === null || onWs === undefined) return this.finishStep(c, source, event.seq, async);
      this.step(
        c,
        'onWebSocketConnect',
        () => onWs.call(this.handler, c, request),
        async,
        (value, failed, isAsync) => {
          if (value === false || failed) this.reject(c, failed ? 'onWebSocketConnect threw' : 'onWebSocketConnect returned false');
          this.finishStep(c, source, event.seq, isAsync);
        },
      );
    };
    const onConnect = this.handler.onConnect;
    if (onConnect === undefined) return afterConnect(false);
    this.step(
      c,
      'onConnect',
      () => onConnect.call(this.handler, c),
      false,
      (_v, _f, isAsync) => afterConnect(isAsync),
    );
  }

  /** @internal */
  runClose(c: ClientContext, source: LinkSession, event: ClientCloseMsg): void {
    c.gone = true;
    const onClose = this.handler.onClose;
    if (onClose === undefined || c.rejected) return this.complete(c, source, event.seq, false);
    // Session changes in onClose are not written back: the client is gone.
    this.step(
      c,
      'onClose',
      () => onClose.call(this.handler, c),
      false,
      (_v, _f, isAsync) => {
        if (isAsync) this.completeAsync(c, source, event.seq, false);
        else this.complete(c, source, event.seq, false);
      },
    );
  }

  /**
   * Calls one callback; `next(value, failed, async)` runs after it settled — at once for a
   * synchronous callback, from the promise for an asynchronous one. `async` is sticky across steps.
   */
  private step(
    c: ClientContext,
    name: CallbackName,
    call: () => unknown,
    async: boolean,
    next: (value: unknown, failed: boolean, async: boolean) => void,
  ): void {
    const stats = this.callbackStats[name];
    const started = nowMs();
    let result: unknown;
    this.runningClientId = c.id;
    try {
      result = call();
    } catch (err) {
      this.runningClientId = null;
      stats.duration.observe((nowMs() - started) / 1000);
      stats.errors++;
      this.report(c, name, err);
      return next(undefined, true, async);
    }
    this.runningClientId = null;
    if (!isThenable(result)) {
      stats.duration.observe((nowMs() - started) / 1000);
      return next(result, false, async);
    }
    result.then(
      (value) => {
        stats.duration.observe((nowMs() - started) / 1000);
        next(value, false, true);
      },
      (err: unknown) => {
        stats.duration.observe((nowMs() - started) / 1000);
        stats.errors++;
        this.report(c, name, err);
        next(undefined, true, true);
      },
    );
  }

  private finishStep(c: ClientContext, source: LinkSession, seq: number, async: boolean): void {
    if (async) this.completeAsync(c, source, seq, true);
    else this.complete(c, source, seq, true);
  }

  private reject(c: ClientContext, reason: string): void {
    c.rejected = true;
    this.logger.debug({ clientId: c.id }, `client rejected: ${reason}`);
    // 1008 (policy violation): the application refused the connection.
    c.link()?.sendMessage({ op: Op.CloseClient, client: c.number, data: null, binary: false, code: WS_POLICY_VIOLATION, reason: 'rejected' });
  }

  /** The event is finished: write the session back if it changed, then let the link acknowledge it. */
  private complete(c: ClientContext, source: LinkSession, seq: number, writeBack: boolean): void {
    if (writeBack && !c.rejected && source.alive) this.writeBack(c, source);
    source.finish(seq);
    c.busy = false;
    this.handled++;
    this.settled();
  }

  private completeAsync(c: ClientContext, source: LinkSession, seq: number, writeBack: boolean): void {
    this.complete(c, source, seq, writeBack);
    this.pump(c);
  }

  private writeBack(c: ClientContext, source: LinkSession): void {
    let bytes: Buffer | null;
    try {
      bytes = changedSessionBytes(c.session, c.sessionBytes);
    } catch (err) {
      this.logger.error({ clientId: c.id, err }, 'session cannot be encoded; not written back');
      return;
    }
    if (bytes === null) return;
    c.sessionBytes = bytes;
    source.sendMessage({ op: Op.SetSession, client: c.number, session: bytes });
  }

  private absorbSession(c: ClientContext, bytes: Uint8Array): void {
    if (c.sessionBytes !== null && bytesEqual(bytes, c.sessionBytes)) return;
    const copy = Buffer.from(bytes); // the event's bytes are a view of a socket chunk
    try {
      c.setSessionObject(decodeSession(copy));
      c.sessionBytes = copy;
    } catch (err) {
      // The handler gets an empty session, but nothing is written over the gateway's bytes unless
      // it sets one: with no known bytes, an empty session is not a change (changedSessionBytes).
      this.logger.warn(
        { clientId: c.id, err },
        'session bytes from the gateway do not decode; the handler sees {} and they are kept unless it sets a session',
      );
      c.sessionBytes = null;
      c.setSessionObject({});
    }
  }

  private settled(): void {
    this.inflight--;
    if (this.inflight === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  private forget(c: ClientContext): void {
    const table = this.clients.get(c.gatewayId);
    if (table?.get(c.number) === c) {
      table.delete(c.number);
      if (table.size === 0) this.clients.delete(c.gatewayId);
    }
  }

  private report(c: ClientContext, callback: string, err: unknown): void {
    this.logger.error({ clientId: c.id, callback, err }, `${callback} failed for client ${c.id}`);
  }
}
