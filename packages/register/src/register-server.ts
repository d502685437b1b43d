import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import {
  encodeMessage,
  ErrorCode,
  formatAddress,
  Op,
  isSentBy,
  opName,
  ProtocolError,
  WireErrorCode,
  type ClusterStatus,
  type Message,
  type MessageOf,
  type PeerRole,
  type RoutedOp,
} from '@gateworker/protocol';
import {
  acceptLink,
  Lifecycle,
  listen,
  PreAuthLimiter,
  type AcceptedLink,
  type BoundAddress,
  type Link,
  type Logger,
} from '@gateworker/protocol/node';
import { describeError, RegisterError, RegisterErrorCode } from './errors.js';
import { resolveRegisterServerOptions, type RegisterServerOptions, type ResolvedRegisterServerOptions } from './options.js';
import { Registry } from './registry.js';

/** One authenticated connection to the register. */
interface Peer {
  readonly link: Link;
  readonly role: PeerRole;
  readonly nodeId: string;
  /** Remote ip:port, for logs. */
  readonly remote: string;
}

/**
 * Messages a peer may send after the handshake, and which roles may send each, as `OpRoute` in
 * @gateworker/protocol declares them. Anything else closes its link.
 */
type InboundOp = RoutedOp<'gateway' | 'worker' | 'client', 'register'>;

type HandlerTable = { [O in InboundOp]: (peer: Peer, message: MessageOf<O>) => void };

/** At most one "too many in the handshake" line per this many milliseconds. */
const PREAUTH_LOG_INTERVAL_MS = 10_000;

type State = 'new' | 'starting' | 'listening' | 'closed';

/**
 * The register: accepts authenticated links from gateways, workers and clients, keeps the
 * registry of live gateways and workers, and pushes gateway changes to subscribers. A gateway is
 * removed as soon as its link closes or stops answering pings (link timeout).
 */
/** What `RegisterServer.snapshot()` reports. */
export interface RegisterSnapshot {
  listening: boolean;
  gateways: number;
  workers: number;
  links: number;
}

export class RegisterServer extends EventEmitter<{ close: [] }> {
  private readonly options: ResolvedRegisterServerOptions;
  private readonly log: Logger;
  private readonly registry = new Registry<Peer>();
  private readonly handlers: HandlerTable;
  /** Authenticated links, until their socket closes. */
  private readonly peers = new Set<Peer>();
  /** Sockets still in the handshake: destroyed on close. */
  private readonly handshaking = new Set<Socket>();
  /** Limits connections still in the handshake (in total and per address): strangers cost almost nothing. */
  private readonly preAuth: PreAuthLimiter;
  /** Connections dropped at accept by the pre-auth limits (logged at most once per interval). */
  preAuthRefused = 0;
  private preAuthLoggedAt = 0;
  private server: Server | null = null;
  private state: State = 'new';
  private starting: Promise<{ host: string; port: number }> | null = null;
  /** close() idempotent, destroy() safe during it, one 'close' event (see Lifecycle). */
  private readonly lifecycle = new Lifecycle(() => this.emit('close'));
  private boundAddress: { host: string; port: number } | null = null;
  /** When the server started listening (for uptime in status). */
  private startedAt = performance.now();

  constructor(options: RegisterServerOptions) {
    super();
    this.options = resolveRegisterServerOptions(options);
    this.log = this.options.logger;
    this.preAuth = new PreAuthLimiter(this.options.preAuth);
    this.handlers = {
      [Op.Announce]: (peer, m) => this.onAnnounce(peer, m),
      [Op.GatewayStats]: (peer, m) => this.onGatewayStats(peer, m),
      [Op.Subscribe]: (peer, m) => this.onSubscribe(peer, m),
      [Op.WorkerStats]: (peer, m) => this.onWorkerStats(peer, m),
      [Op.StatusQuery]: (peer, m) => this.onStatusQuery(peer, m),
      [Op.Error]: (peer, m) => this.onPeerError(peer, m),
    };
  }

  /** The bound address once listening, else null. */
  get address(): { host: string; port: number } | null {
    return this.boundAddress;
  }

  /** Binds the listen address (port 0: any free port) and resolves with the bound address. */
  start(): Promise<{ host: string; port: number }> {
    if (this.state === 'closed') return Promise.reject(new RegisterError(RegisterErrorCode.Closed, 'the register server is closed'));
    this.starting ??= this.bind();
    return this.starting;
  }

  /** What a StatusQuery answers: this register, its gateways (with live stats) and workers. */
  status(): ClusterStatus {
    return {
      register: { nodeId: this.options.nodeId, pid: process.pid, uptimeMs: Math.round(performance.now() - this.startedAt) },
      ...this.registry.snapshot(),
    };
  }

  /** Counts for metrics and status: gateways announced, workers subscribed, authenticated links. */
  snapshot(): RegisterSnapshot {
    return {
      listening: this.state === 'listening',
      gateways: this.registry.gatewayCount,
      workers: this.registry.workerCount,
      links: this.peers.size,
    };
  }

  /** Stops accepting, closes every link (flushing what is queued). Idempotent: every call returns the same promise. */
  close(): Promise<void> {
    return this.lifecycle.close(() => this.shutdown());
  }

  /** Immediate: drops every link and connection without flushing. Safe during close(); 'close' is emitted once either way. */
  destroy(): void {
    this.lifecycle.destroy(() => {
      const listening = this.state === 'listening';
      this.state = 'closed';
      // While binding, bind() closes the server once bound (closing it now would leave start() waiting forever).
      if (listening) this.server?.close();
      for (const socket of this.handshaking) socket.destroy();
      for (const peer of this.peers) peer.link.destroy();
      this.boundAddress = null;
    });
  }

  private async bind(): Promise<{ host: string; port: number }> {
    const { host, port, maxConnections } = this.options;
    this.state = 'starting';
    const server = createServer((socket) => this.onConnection(socket));
    server.maxConnections = maxConnections;
    this.server = server;
    let bound: BoundAddress;
    try {
      bound = await listen(server, host, port, (err) => this.log.error({ err }, 'register listener error'));
    } catch (err) {
      this.server = null;
      this.state = 'new';
      this.starting = null;
      const reason = describeError(err as Error);
      throw new RegisterError(RegisterErrorCode.ListenFailed, `register cannot listen on ${formatAddress(host, port)}: ${reason}`, { cause: err });
    }
    this.boundAddress = bound;
    if (this.lifecycle.closed) server.close(); // destroyed while binding
    if ((this.state as State) === 'closed') return this.boundAddress; // closed while binding: shutdown() closes the server
    this.state = 'listening';
    this.startedAt = performance.now();
    this.log.info({ address: formatAddress(bound.host, bound.port), nodeId: this.options.nodeId }, 'register listening');
    return this.boundAddress;
  }

  private async shutdown(): Promise<void> {
    this.state = 'closed';
    if (this.starting !== null) await this.starting.catch(() => {});
    const server = this.server;
    const serverClosed = server === null ? Promise.resolve() : new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.handshaking) socket.destroy();
    await Promise.all([...this.peers].map((peer) => peer.link.close()));
    await serverClosed;
    this.boundAddress = null;
    this.log.info({ nodeId: this.options.nodeId }, 'register closed');
  }

  private onConnection(socket: Socket): void {
    if (this.state !== 'listening') {
      socket.destroy();
      return;
    }
    const address = socket.remoteAddress ?? '?';
    const remote = formatAddress(address, socket.remotePort ?? 0);
    if (!this.preAuth.admit(address)) {
      socket.destroy();
      this.refusedPreAuth(remote);
      return;
    }
    this.handshaking.add(socket);
    const { secret, nodeId, link, cluster } = this.options;
    acceptLink(socket, { secret, nodeId, link, cluster, role: 'register', allowedRoles: ['gateway', 'worker', 'client'] }).then(
      (accepted) => {
        this.handshaking.delete(socket);
        this.preAuth.release(address);
        if (this.state === 'closed') accepted.link.destroy();
        else this.addPeer(accepted, remote);
      },
      (err: unknown) => {
        this.handshaking.delete(socket);
        this.preAuth.release(address);
        if (this.state === 'closed') return;
        const code = err instanceof ProtocolError ? err.code : (err as { code?: string }).code;
        this.log.warn({ remote, code, err: (err as Error).message }, `register refused a connection from ${remote}: ${describeError(err as Error)}`);
      },
    );
  }

  private refusedPreAuth(remote: string): void {
    this.preAuthRefused++;
    const now = Date.now();
    if (now - this.preAuthLoggedAt < PREAUTH_LOG_INTERVAL_MS) return;
    this.preAuthLoggedAt = now;
    this.log.warn(
      { remote, handshaking: this.preAuth.count, refused: this.preAuthRefused, ...this.options.preAuth },
      'register dropped a connection: too many connections still in the handshake',
    );
  }

  private addPeer(accepted: AcceptedLink, remote: string): void {
    const peer: Peer = { link: accepted.link, role: accepted.peerRole, nodeId: accepted.peerNodeId, remote };
    this.peers.add(peer);
    peer.link.onMessage = (message) => this.dispatch(peer, message);
    void peer.link.closed.then((err) => this.onPeerClosed(peer, err));
    this.log.debug({ remote, peerRole: peer.role, peerNodeId: peer.nodeId }, 'peer authenticated');
  }

  private dispatch(peer: Peer, message: Message): void {
    const handler = (this.handlers as Partial<Record<number, (peer: Peer, message: Message) => void>>)[message.op];
    if (handler === undefined) {
      this.refuse(
        peer,
        new ProtocolError(ErrorCode.Unexpected, `a register does not accept ${opName(message.op)}`, { wire: WireErrorCode.Unexpected }),
      );
      return;
    }
    if (!isSentBy(message.op, peer.role)) {
      this.refuse(
        peer,
        new ProtocolError(ErrorCode.RoleRefused, `a ${peer.role} may not send ${opName(message.op)}`, { wire: WireErrorCode.RoleRefused }),
      );
      return;
    }
    handler(peer, message);
  }

  /** Tells the peer why (Error frame) and closes its link; its state goes when the link closes. */
  private refuse(peer: Peer, err: ProtocolError): void {
    this.log.warn(
      { remote: peer.remote, peerRole: peer.role, peerNodeId: peer.nodeId, code: err.code },
      `register closes the link of ${peer.role} ${peer.nodeId} (${peer.remote}): ${err.message}`,
    );
    peer.link.fail(err);
  }

  private onAnnounce(peer: Peer, { gateway }: MessageOf<typeof Op.Announce>): void {
    const result = this.registry.announce(peer, gateway);
    if (result.kind === 'rejected') {
      this.refuse(peer, new ProtocolError(ErrorCode.Unexpected, `Announce refused: ${result.reason}`, { wire: WireErrorCode.Unexpected }));
      return;
    }
    const fields = { gatewayId: gateway.gatewayId, address: gateway.address, peerNodeId: peer.nodeId, remote: peer.remote };
    if (result.kind === 'update' && result.replaced !== null) {
      // The same gateway process reconnected: its newer link wins; the old one is stale.
      this.log.info({ ...fields, replacedRemote: result.replaced.remote }, 'gateway reconnected; closing its previous link');
      void result.replaced.link.close();
    }
    if (result.kind === 'up') this.log.info(fields, 'gateway up');
    if (result.kind === 'up' || result.changed) this.broadcast({ op: Op.GatewayUp, gateway: result.gateway });
  }

  private onGatewayStats(peer: Peer, { stats }: MessageOf<typeof Op.GatewayStats>): void {
    if (!this.registry.updateGatewayStats(peer, stats)) {
      this.refuse(peer, new ProtocolError(ErrorCode.Unexpected, 'GatewayStats before Announce', { wire: WireErrorCode.Unexpected }));
    }
  }

  private onSubscribe(peer: Peer, { worker }: MessageOf<typeof Op.Subscribe>): void {
    if (worker !== null && peer.role !== 'worker') {
      this.refuse(peer, new ProtocolError(ErrorCode.RoleRefused, `a ${peer.role} may not report a worker`, { wire: WireErrorCode.RoleRefused }));
      return;
    }
    const again = this.registry.isSubscriber(peer);
    this.noteReplaced(this.registry.subscribe(peer, worker).replaced, peer);
    // A repeated Subscribe is answered with a fresh list, so it is harmless.
    peer.link.send({ op: Op.GatewayList, gateways: this.registry.gatewayList() });
    this.log.debug({ remote: peer.remote, peerRole: peer.role, peerNodeId: peer.nodeId, workerId: worker?.workerId, again }, 'subscribed');
  }

  private onWorkerStats(peer: Peer, { worker }: MessageOf<typeof Op.WorkerStats>): void {
    this.noteReplaced(this.registry.reportWorker(peer, worker).replaced, peer);
  }

  private noteReplaced(replaced: Peer | null, peer: Peer): void {
    if (replaced !== null) this.log.debug({ remote: peer.remote, replacedRemote: replaced.remote }, 'worker reported by a newer link');
  }

  private onStatusQuery(peer: Peer, { requestId }: MessageOf<typeof Op.StatusQuery>): void {
    peer.link.send({ op: Op.StatusReply, requestId, status: this.status() });
  }

  private onPeerError(peer: Peer, { code, message }: MessageOf<typeof Op.Error>): void {
    this.log.warn({ remote: peer.remote, peerRole: peer.role, peerNodeId: peer.nodeId, wireCode: code }, `peer reported an error: ${message}`);
    void peer.link.close();
  }

  private onPeerClosed(peer: Peer, err: Error | null): void {
    this.peers.delete(peer);
    const { gatewaysDown, workersGone } = this.registry.remove(peer);
    if (this.state === 'closed') return;
    const fields = { remote: peer.remote, peerRole: peer.role, peerNodeId: peer.nodeId };
    if (err === null) this.log.debug(fields, 'peer disconnected');
    else
      this.log.warn(
        { ...fields, code: (err as { code?: unknown }).code },
        `link to ${peer.role} ${peer.nodeId} (${peer.remote}) lost: ${describeError(err)}`,
      );
    for (const gatewayId of gatewaysDown) {
      this.log.info({ ...fields, gatewayId }, 'gateway down');
      this.broadcast({ op: Op.GatewayDown, gatewayId });
    }
    if (workersGone.length > 0) this.log.debug({ ...fields, workers: workersGone }, 'worker gone');
  }

  /** Sends one message to every subscriber, encoded once. */
  private broadcast(message: Message): void {
    const frame = encodeMessage(message);
    for (const peer of this.registry.subscribers()) peer.link.sendFrame(frame);
  }
}
