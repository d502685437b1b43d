import { randomBytes } from 'node:crypto';
import { ErrorCode, parseAddress, type GatewayInfo, type PeerRole, type ResolvedLinkOptions } from '@gateworker/protocol';
import { connectLink } from '@gateworker/protocol/node';
import type { Link, Logger } from '@gateworker/protocol/node';
import type { GatewayDirectory } from './directory.js';
import { CommandCounters, CommandStream, DropLog, type CommandBufferBounds } from './command-stream.js';
import { ClosedError, gatewayLabel, ReadyTimeoutError } from './errors.js';
import { LinkSession, type LinkSessionHooks } from './link-session.js';

export interface GatewayLinksOptions {
  role: Extract<PeerRole, 'worker' | 'client'>;
  secret: string;
  nodeId: string;
  link: ResolvedLinkOptions;
  /** Reconnect delays: doubling from `minMs` up to `maxMs`, each with up to 50% jitter off. */
  reconnect: { minMs: number; maxMs: number };
  logger: Logger;
  /** Cluster name stated in the handshake. */
  cluster?: string | undefined;
  /** Bounds of each gateway's command stream. */
  commandBuffer: CommandBufferBounds;
}

/** While a gateway stays unreachable, at most one warn line per this many milliseconds. */
export const RECONNECT_LOG_INTERVAL_MS = 30_000;

export interface GatewayLinksHooks extends LinkSessionHooks {
  /** A link is connected and authenticated. */
  onSessionOpen(session: LinkSession): void;
  /** A link closed (for any reason); its session is dead. */
  onSessionClosed(session: LinkSession): void;
  /** A gateway was given up: its link is dead and no directory lists it. */
  onPeerGone?(peer: GatewayPeer): void;
}

/** One gateway of the list and our link to it. */
export class GatewayPeer {
  readonly gatewayId: string;
  readonly address: string;
  readonly label: string;
  /** The connected link, or null while (re)connecting. */
  session: LinkSession | null = null;
  /**
   * In the directory's list. Advisory: an unlisted peer keeps a healthy link; it is given up
   * (removed) only once its link is dead as well.
   */
  listed = true;
  /** The connect in progress, if any. */
  connecting: Promise<void> | null = null;
  attempts = 0;
  retryTimer: NodeJS.Timeout | null = null;
  /** Monotonic time of the last warn line about this gateway being unreachable. */
  loggedAt = 0;
  /** A connect failed since the last successful link (the first failure is logged as warn). */
  failing = false;
  /**
   * Unlisted and unreachable after a broken link (a frozen or cut-off gateway looks like this):
   * its commands are kept until this fires (the command buffer's age bound), in case it is
   * listed again under the same id; a gateway that restarted has a new id and never is.
   */
  lingerTimer: NodeJS.Timeout | null = null;
  /** Every command for this gateway goes through its stream (kept across links until applied). */
  readonly stream: CommandStream;

  constructor(info: GatewayInfo, stream: (label: string) => CommandStream) {
    this.gatewayId = info.gatewayId;
    this.address = info.address;
    this.label = gatewayLabel(info.gatewayId, info.address);
    this.stream = stream(this.label);
  }
}

interface Waiter {
  check(): void;
  fail(err: Error): void;
}

/**
 * One link per gateway the directory lists: connects to each, reconnects forever with backoff and
 * jitter while the gateway is listed, connects to gateways that come up. Discovery is advisory,
 * links are the truth: a gateway the directory stops listing keeps its link while the link
 * passes its heartbeat; it is given up only when its link is dead and no directory lists it.
 * Every link is checked to reach the gateway id it was dialled for. Knows nothing about events
 * or queries; it hands sessions to its hooks.
 */
export class GatewayLinks {
  /** This process instance's id on every command stream (random per start: a restart is a new sender). */
  readonly instanceId = randomBytes(8).toString('hex');
  readonly commandCounters = new CommandCounters();
  private readonly drops: DropLog;
  private readonly peers = new Map<string, GatewayPeer>();
  private readonly waiters = new Set<Waiter>();
  /** False once stopping: no new links, no reconnects. */
  private accepting = true;
  private readonly onUp = (info: GatewayInfo): void => this.add(info);
  private readonly onDown = (gatewayId: string): void => this.remove(gatewayId);

  constructor(
    private readonly directory: GatewayDirectory,
    private readonly options: GatewayLinksOptions,
    private readonly hooks: GatewayLinksHooks,
  ) {
    this.drops = new DropLog(options.logger, this.commandCounters);
  }

  /** A command for a gateway no directory ever listed (or given up): it is gone for good. */
  dropForUnknown(gatewayId: string, count = 1): void {
    this.drops.note(gatewayId, count, 'unknown gateway');
  }

  start(): void {
    this.directory.on('gateway-up', this.onUp);
    this.directory.on('gateway-down', this.onDown);
    this.sync();
  }

  /** Reconciles the peers with the directory's current list. */
  sync(): void {
    const listed = this.directory.gateways();
    for (const id of [...this.peers.keys()]) if (!listed.has(id)) this.remove(id);
    for (const info of listed.values()) this.add(info);
  }

  peer(gatewayId: string): GatewayPeer | undefined {
    return this.peers.get(gatewayId);
  }

  all(): IterableIterator<GatewayPeer> {
    return this.peers.values();
  }

  get size(): number {
    return this.peers.size;
  }

  /** Live sessions. */
  sessions(): LinkSession[] {
    const out: LinkSession[] = [];
    for (const p of this.peers.values()) if (p.session !== null) out.push(p.session);
    return out;
  }

  /** Re-evaluates readiness waiters; call after changing anything a predicate looks at. */
  changed(): void {
    for (const w of [...this.waiters]) w.check();
  }

  /**
   * Resolves once every listed gateway satisfies `isReady` (at once when none is listed);
   * rejects with a ReadyTimeoutError naming the others after `timeoutMs`.
   */
  whenAll(isReady: (peer: GatewayPeer) => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        check: () => {
          for (const p of this.peers.values()) if (!isReady(p)) return;
          done();
          resolve();
        },
        fail: (err) => {
          done();
          reject(err);
        },
      };
      const timer = setTimeout(() => {
        const missing = [...this.peers.values()].filter((p) => !isReady(p)).map((p) => p.label);
        waiter.fail(new ReadyTimeoutError(what, missing, timeoutMs));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      this.waiters.add(waiter);
      waiter.check();
    });
  }

  /** Fails every pending whenAll() (the owner is closing). */
  abortWaiters(err: Error): void {
    for (const w of [...this.waiters]) w.fail(err);
  }

  /** Stops connecting and reconnecting (drain); existing links stay up. */
  stopConnecting(): void {
    this.accepting = false;
    this.directory.off?.('gateway-up', this.onUp);
    for (const p of this.peers.values()) {
      this.clearRetry(p);
      this.clearLinger(p);
    }
  }

  /** Closes every link gracefully (queued frames are flushed first). */
  async close(): Promise<void> {
    this.stopConnecting();
    this.directory.off?.('gateway-down', this.onDown);
    this.abortWaiters(new ClosedError('the gateway link set'));
    const connecting = [...this.peers.values()].map((p) => p.connecting).filter((c) => c !== null);
    await Promise.allSettled(connecting);
    await Promise.all(this.sessions().map((s) => s.link.close()));
    this.discardStreams();
  }

  destroy(): void {
    this.stopConnecting();
    this.abortWaiters(new ClosedError('the gateway link set'));
    for (const s of this.sessions()) s.link.destroy();
    this.discardStreams();
  }

  /** Closing: commands still waiting for a link will never be sent (counted and logged). */
  private discardStreams(): void {
    for (const p of this.peers.values()) p.stream.discard('closing');
    this.drops.close();
  }

  private add(info: GatewayInfo): void {
    if (!this.accepting) return;
    const known = this.peers.get(info.gatewayId);
    if (known !== undefined) {
      if (!known.listed) {
        known.listed = true;
        this.clearLinger(known);
        this.options.logger.info({ gateway: known.label }, 'gateway listed again');
        this.connect(known);
        this.changed();
      }
      return;
    }
    const peer = new GatewayPeer(
      info,
      (label) => new CommandStream(label, this.instanceId, this.options.commandBuffer, this.commandCounters, this.drops),
    );
    this.peers.set(peer.gatewayId, peer);
    this.connect(peer);
    this.changed();
  }

  /** The directory no longer lists the gateway: advisory; its link stays while it is healthy. */
  private remove(gatewayId: string): void {
    const peer = this.peers.get(gatewayId);
    if (peer === undefined || !peer.listed) return;
    peer.listed = false;
    if (peer.session !== null || peer.connecting !== null) {
      // Routine when a gateway stops (its link closes next); a fault only if the link stays up.
      this.options.logger.debug({ gateway: peer.label }, 'gateway no longer listed by the directory: keeping its link while it is healthy');
      return;
    }
    this.linger(peer, 'no longer listed and not connected');
  }

  /**
   * An unlisted gateway we cannot reach: not given up yet. A frozen process or a partition ends
   * with the same gateway id listed again, and the commands waiting for it must then go through;
   * so its stream is kept (commands still age out by their own bound) for the command buffer's
   * maxAge, and only then is it given up. No reconnect attempts meanwhile (it is unlisted).
   */
  private linger(peer: GatewayPeer, why: string): void {
    if (this.peers.get(peer.gatewayId) !== peer || peer.lingerTimer !== null) return;
    this.clearRetry(peer);
    const ms = this.options.commandBuffer.maxAgeMs;
    this.options.logger.info({ gateway: peer.label, keepMs: ms }, `gateway unreachable: ${why}; keeping its commands in case it is listed again`);
    peer.lingerTimer = setTimeout(() => {
      peer.lingerTimer = null;
      if (!peer.listed && peer.session === null && peer.connecting === null) this.giveUp(peer, why);
    }, ms);
    peer.lingerTimer.unref();
  }

  private clearLinger(peer: GatewayPeer): void {
    if (peer.lingerTimer !== null) clearTimeout(peer.lingerTimer);
    peer.lingerTimer = null;
  }

  /** Forgets a gateway whose link is dead and that no directory lists. */
  private giveUp(peer: GatewayPeer, why: string, routine = false): void {
    if (this.peers.get(peer.gatewayId) !== peer) return;
    this.peers.delete(peer.gatewayId);
    this.clearRetry(peer);
    this.clearLinger(peer);
    peer.stream.discard('gateway gone');
    // A gateway that stopped cleanly (unlisted, then its link closed without error) is routine.
    if (routine) this.options.logger.debug({ gateway: peer.label }, `gateway given up: ${why}`);
    else this.options.logger.info({ gateway: peer.label }, `gateway given up: ${why}`);
    this.hooks.onPeerGone?.(peer);
    this.changed();
  }

  private connect(peer: GatewayPeer): void {
    if (!this.accepting || !peer.listed || peer.session !== null || peer.connecting !== null) return;
    if (this.peers.get(peer.gatewayId) !== peer) return;
    let target: { host: string; port: number };
    try {
      target = parseAddress(peer.address);
    } catch (err) {
      this.options.logger.error({ gateway: peer.label, err }, 'gateway address is not host:port; not connecting');
      return;
    }
    const { role, secret, nodeId, link, cluster } = this.options;
    peer.connecting = connectLink({ ...target, link, role, secret, nodeId, cluster, expectGatewayId: peer.gatewayId }).then(
      ({ link: connected }) => {
        peer.connecting = null;
        this.opened(peer, connected);
      },
      (err: unknown) => {
        peer.connecting = null;
        if (!this.accepting) return;
        if (!peer.listed) {
          this.linger(peer, 'no longer listed and cannot be reached');
          return;
        }
        this.logFailure(peer, err);
        this.retry(peer);
      },
    );
  }

  /** First failure: warn; then at most one warn line per RECONNECT_LOG_INTERVAL_MS, with the attempt count. */
  private logFailure(peer: GatewayPeer, err: unknown): void {
    const log = this.options.logger;
    const attempt = peer.attempts + 1;
    const code = (err as { code?: unknown } | null)?.code;
    const now = performance.now();
    const first = !peer.failing;
    peer.failing = true;
    if (code === ErrorCode.WrongGateway || code === ErrorCode.ClusterMismatch || code === ErrorCode.AuthFailed) {
      // Someone else answers at this address (or refuses us): worth an error line, at the same pace.
      if (first || now - peer.loggedAt >= RECONNECT_LOG_INTERVAL_MS) {
        peer.loggedAt = now;
        log.error({ gateway: peer.label, err, attempt }, `refusing the link to gateway ${peer.gatewayId}: ${(err as Error).message}`);
      }
      return;
    }
    if (first) {
      peer.loggedAt = now;
      log.warn({ gateway: peer.label, err, attempt }, 'cannot connect to gateway; retrying');
    } else if (now - peer.loggedAt >= RECONNECT_LOG_INTERVAL_MS) {
      peer.loggedAt = now;
      log.warn({ gateway: peer.label, err, attempt }, `still cannot connect to gateway after ${attempt} attempts; retrying`);
    } else log.debug({ gateway: peer.label, err, attempt }, 'cannot connect to gateway; retrying');
  }

  private opened(peer: GatewayPeer, link: Link): void {
    if (!this.accepting || this.peers.get(peer.gatewayId) !== peer) {
      void link.close();
      return;
    }
    if (peer.attempts > 0) this.options.logger.info({ gateway: peer.label, attempts: peer.attempts }, 'link to gateway back');
    peer.attempts = 0;
    peer.failing = false;
    const session = new LinkSession(peer.gatewayId, peer.address, link, this.hooks, this.options.logger);
    peer.session = session;
    session.onStreamAck = (applied) => peer.stream.ack(applied);
    session.stream = peer.stream;
    // The stream resumes first: its re-sent commands precede anything the owner sends (WorkerReady).
    peer.stream.attach(session);
    link.onClose = (err) => this.lost(peer, session, err);
    // A close that happened meanwhile is held by the link and delivered to onClose now.
    this.options.logger.debug({ gateway: peer.label }, 'linked to gateway');
    this.hooks.onSessionOpen(session);
    this.changed();
  }

  private lost(peer: GatewayPeer, session: LinkSession, err: Error | null): void {
    if (!session.alive) return;
    session.closed();
    peer.stream.detach(session);
    if (peer.session === session) peer.session = null;
    this.hooks.onSessionClosed(session);
    if (this.accepting && peer.listed) {
      peer.loggedAt = performance.now();
      // A clean close is a gateway stopping (an ordered stop, a restart): not a fault, and the
      // register reports the gateway down; only a broken link is worth a warning.
      if (err === null) this.options.logger.debug({ gateway: peer.label }, 'gateway closed the link; reconnecting');
      else this.options.logger.warn({ gateway: peer.label, err }, 'link to gateway lost; reconnecting');
      this.retry(peer);
    } else if (this.accepting) {
      const why = `its link is down (${err === null ? 'closed' : err.message}) and no directory lists it`;
      // A clean close is a gateway that stopped: gone. A broken link may be a pause or a cut.
      if (err === null) this.giveUp(peer, why, true);
      else this.linger(peer, why);
    } else {
      this.options.logger.debug({ gateway: peer.label, err }, 'link to gateway closed');
    }
    this.changed();
  }

  private retry(peer: GatewayPeer): void {
    if (!this.accepting || !peer.listed || peer.retryTimer !== null) return;
    const { minMs, maxMs } = this.options.reconnect;
    const base = Math.min(maxMs, minMs * 2 ** Math.min(peer.attempts, 20));
    const delay = Math.round(base * (0.5 + Math.random() * 0.5));
    peer.attempts++;
    peer.retryTimer = setTimeout(() => {
      peer.retryTimer = null;
      this.connect(peer);
    }, delay);
    peer.retryTimer.unref();
  }

  private clearRetry(peer: GatewayPeer): void {
    if (peer.retryTimer !== null) {
      clearTimeout(peer.retryTimer);
      peer.retryTimer = null;
    }
  }
}
