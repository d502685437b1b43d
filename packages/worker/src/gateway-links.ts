import type { GatewayInfo, PeerRole } from '@gateworker/protocol';
import { connectLink, parseHostPort } from '@gateworker/protocol/node';
import type { Link, LinkOptions, Logger } from '@gateworker/protocol/node';
import type { GatewayDirectory } from './directory.js';
import { ClosedError, gatewayLabel, ReadyTimeoutError } from './errors.js';
import { LinkSession, type LinkSessionHooks } from './link-session.js';

export interface GatewayLinksOptions {
  role: Extract<PeerRole, 'worker' | 'client'>;
  secret: string;
  nodeId: string;
  link: LinkOptions & { handshakeTimeoutMs?: number };
  /** Reconnect delays: doubling from `minMs` up to `maxMs`, each with up to 50% jitter off. */
  reconnect: { minMs: number; maxMs: number };
  logger: Logger;
}

export interface GatewayLinksHooks extends LinkSessionHooks {
  /** A link is connected and authenticated. */
  onSessionOpen(session: LinkSession): void;
  /** A link closed (for any reason); its session is dead. */
  onSessionClosed(session: LinkSession): void;
}

/** One gateway of the list and our link to it. */
export class GatewayPeer {
  readonly gatewayId: string;
  readonly address: string;
  readonly label: string;
  /** The connected link, or null while (re)connecting. */
  session: LinkSession | null = null;
  /** Still in the directory's list; unlisted peers are not reconnected. */
  listed = true;
  /** The connect in progress, if any. */
  connecting: Promise<void> | null = null;
  attempts = 0;
  retryTimer: NodeJS.Timeout | null = null;

  constructor(info: GatewayInfo) {
    this.gatewayId = info.gatewayId;
    this.address = info.address;
    this.label = gatewayLabel(info.gatewayId, info.address);
  }
}

interface Waiter {
  check(): void;
  fail(err: Error): void;
}

/**
 * One link per gateway in the directory's list: connects to each, reconnects with backoff while
 * the gateway is listed, connects to gateways that come up and closes links to those that go
 * down. Knows nothing about events or queries; it hands sessions to its hooks.
 */
export class GatewayLinks {
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
  ) {}

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
    for (const p of this.peers.values()) this.clearRetry(p);
  }

  /** Closes every link gracefully (queued frames are flushed first). */
  async close(): Promise<void> {
    this.stopConnecting();
    this.directory.off?.('gateway-down', this.onDown);
    this.abortWaiters(new ClosedError('the gateway link set'));
    const connecting = [...this.peers.values()].map((p) => p.connecting).filter((c) => c !== null);
    await Promise.allSettled(connecting);
    await Promise.all(this.sessions().map((s) => s.link.close()));
  }

  destroy(): void {
    this.stopConnecting();
    this.abortWaiters(new ClosedError('the gateway link set'));
    for (const s of this.sessions()) s.link.destroy();
  }

  private add(info: GatewayInfo): void {
    if (this.peers.has(info.gatewayId) || !this.accepting) return;
    const peer = new GatewayPeer(info);
    this.peers.set(peer.gatewayId, peer);
    this.connect(peer);
    this.changed();
  }

  private remove(gatewayId: string): void {
    const peer = this.peers.get(gatewayId);
    if (peer === undefined) return;
    peer.listed = false;
    this.peers.delete(gatewayId);
    this.clearRetry(peer);
    if (peer.session !== null) {
      this.options.logger.debug({ gateway: peer.label }, 'gateway went down: closing its link');
      void peer.session.link.close();
    }
    this.changed();
  }

  private connect(peer: GatewayPeer): void {
    if (!this.accepting || !peer.listed || peer.session !== null || peer.connecting !== null) return;
    let target: { host: string; port: number };
    try {
      target = parseHostPort(peer.address);
    } catch (err) {
      this.options.logger.error({ gateway: peer.label, err }, 'gateway address is not host:port; not connecting');
      return;
    }
    const { role, secret, nodeId, link } = this.options;
    peer.connecting = connectLink({ ...link, ...target, role, secret, nodeId }).then(
      ({ link: connected }) => {
        peer.connecting = null;
        this.opened(peer, connected);
      },
      (err: unknown) => {
        peer.connecting = null;
        if (!this.accepting || !peer.listed) return;
        const log = peer.attempts === 0 ? this.options.logger.warn : this.options.logger.debug;
        log.call(this.options.logger, { gateway: peer.label, err, attempt: peer.attempts + 1 }, 'cannot connect to gateway; retrying');
        this.retry(peer);
      },
    );
  }

  private opened(peer: GatewayPeer, link: Link): void {
    if (!this.accepting || !peer.listed) {
      void link.close();
      return;
    }
    peer.attempts = 0;
    const session = new LinkSession(peer.gatewayId, peer.address, link, this.hooks, this.options.logger);
    peer.session = session;
    link.onClose = (err) => this.lost(peer, session, err);
    // A close that happened meanwhile is held by the link and delivered to onClose now.
    this.options.logger.debug({ gateway: peer.label }, 'linked to gateway');
    this.hooks.onSessionOpen(session);
    this.changed();
  }

  private lost(peer: GatewayPeer, session: LinkSession, err: Error | null): void {
    if (!session.alive) return;
    session.closed();
    if (peer.session === session) peer.session = null;
    this.hooks.onSessionClosed(session);
    if (this.accepting && peer.listed) {
      // A clean close is a gateway stopping (an ordered stop, a restart): not a fault, and the
      // register reports the gateway down; only a broken link is worth a warning.
      if (err === null) this.options.logger.debug({ gateway: peer.label }, 'gateway closed the link; reconnecting');
      else this.options.logger.warn({ gateway: peer.label, err }, 'link to gateway lost; reconnecting');
      this.retry(peer);
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
