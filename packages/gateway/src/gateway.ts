import { EventEmitter } from 'node:events';
import {
  clientIdFor,
  ErrorCode,
  formatAddress,
  isStreamOp,
  newGatewayId,
  Op,
  parseClientId,
  ProtocolError,
  WireErrorCode,
  type BusBridgeStats,
  type ConnectInfo,
  type GatewayInfo,
  type GatewayStats,
  type Message,
  type PeerRole,
} from '@gateworker/protocol';
import { Lifecycle, withTimeout, type AcceptOptions, type AcceptedLink, type Logger } from '@gateworker/protocol/node';
import { RegisterClient } from '@gateworker/register';
import { Client, ClientState, CloseReasons, type ClientSocket, type ClientTransport, type CloseReason } from './client.js';
import { ClientTable } from './client-table.js';
import { CommandStreams } from './command-streams.js';
import { handleInbound, type CommandContext } from './commands/index.js';
import { Counters, type ListenerSnapshot } from './counters.js';
import { EventDispatcher } from './dispatch.js';
import { GatewayError, GatewayErrorCode } from './errors.js';
import { Heartbeat } from './heartbeat.js';
import { InternalServer } from './internal-server.js';
import type { ListenerHost } from './listeners/host.js';
import { TcpListener } from './listeners/tcp-listener.js';
import { WsListener } from './listeners/ws-listener.js';
import {
  DEFAULT_CLOSE_CLIENTS_TIMEOUT_MS,
  DEFAULT_CLOSE_EVENTS_TIMEOUT_MS,
  resolveGatewayOptions,
  type GatewayLiveOptions,
  type GatewayOptions,
  type ResolvedGatewayOptions,
  type ResolvedListenerOptions,
} from './options.js';
import { Outbound } from './outbound.js';
import { PendingEvents } from './pending.js';
import { Router } from './router.js';
import { applyLocalCommand, type LocalCommand, type MembershipChange } from './local.js';
import { LogThrottle } from './throttle.js';
import { WorkerLink } from './worker-link.js';
import { WorkerPool } from './worker-pool.js';

/** One internal link as `Gateway.snapshot()` reports it. */
export interface GatewayLinkSnapshot {
  id: number;
  role: PeerRole;
  nodeId: string;
  workerId: string | null;
  state: 'connecting' | 'ready' | 'draining' | 'closed';
  /** Events sent on the link and not yet acknowledged: exactly the events this gateway holds for it (acks are per event). */
  unacked: number;
  /** Their encoded size, in bytes (bounded by linkWindow.bytes, one larger event excepted). */
  unackedBytes: number;
}

/** What `Gateway.snapshot()` reports. */
export interface GatewaySnapshot {
  gatewayId: string;
  state: string;
  /** Connected to at least one register (so workers can find it). */
  announced: boolean;
  /** Registers configured (0: workers find it some other way). */
  registers: number;
  stats: GatewayStats;
  counters: Record<string, number>;
  listeners: ListenerSnapshot[];
  links: GatewayLinkSnapshot[];
}

/** One client as the topology page's lookup shows it. */
export interface ClientDescription {
  clientId: string;
  gatewayId: string;
  listener: string;
  remoteAddress: string;
  remotePort: number;
  uid: string | null;
  groups: string[];
  sessionBytes: number;
}

export interface GatewayEvents {
  /** A worker link sent WorkerReady: events are routed to it. */
  'worker-ready': [info: { linkId: number; workerId: string; nodeId: string }];
  /** A worker sent Drain. */
  'worker-draining': [info: { linkId: number; workerId: string | null }];
  /** An internal link (worker or GatewayClient) closed. */
  'link-closed': [info: { linkId: number; role: PeerRole; workerId: string | null; error: Error | null }];
  /**
   * A uid got its first client on this gateway or lost its last one; a group got its first member
   * or lost its last one (bus routing bindings follow these). Not emitted when nobody listens.
   */
  'membership-change': [change: MembershipChange];
  close: [];
}

type Listener = WsListener | TcpListener;
type State = 'new' | 'starting' | 'started' | 'draining' | 'closing' | 'closed';

/**
 * A link lost to our heartbeat timeout (a network cut, a frozen process) is not a worker death:
 * poison accounting only counts links that closed (the process exited, crashed or was killed:
 * the kernel closes its sockets) or failed with a socket error.
 */
function isHeartbeatTimeout(err: Error | null): boolean {
  return err instanceof ProtocolError && err.code === ErrorCode.HeartbeatTimeout;
}

function boundUrl(options: ResolvedListenerOptions, port: number): string {
  return `${options.kind}://${formatAddress(options.host, port)}${options.path ?? (options.kind === 'tcp' ? '' : '/')}`;
}

/**
 * A gateway process: client listeners, the client table, worker links and the register
 * announcement. See docs/internals.md for the contract with workers.
 */
export class Gateway extends EventEmitter<GatewayEvents> {
  readonly gatewayId: string = newGatewayId();
  /** Resolved options; replaced by reconfigure() (live keys only). */
  private options: ResolvedGatewayOptions;
  /** The options as given, merged with every live change since (reconfigure re-resolves them whole). */
  private given: GatewayOptions;
  private readonly router: Router<WorkerLink>;
  private readonly log: Logger;
  private readonly counterSet = new Counters();
  private readonly throttle: LogThrottle;
  private readonly table = new ClientTable<Client>();
  private readonly pool = new WorkerPool();
  private readonly pending: PendingEvents;
  private readonly dispatcher: EventDispatcher;
  private readonly outbound: Outbound;
  private readonly heartbeat: Heartbeat;
  private readonly clientListeners: Listener[];
  private readonly internal: InternalServer;
  private readonly commands: CommandContext;
  private readonly streams: CommandStreams;
  private register: RegisterClient | null = null;
  private statsTimer: NodeJS.Timeout | null = null;
  /** The bus bridges' stats, reported with the gateway's (set by whoever runs a bus next to it). */
  private busStats: (() => BusBridgeStats[]) | null = null;
  private nextClientNumber = 1;
  private nextLinkId = 1;
  private state: State = 'new';
  /** close() idempotent, destroy() safe during it, one 'close' event (see Lifecycle). */
  private readonly lifecycle = new Lifecycle(() => this.emit('close'));
  /** close(): resolved when the last client is gone. */
  private onAllClientsGone: (() => void) | null = null;
  /** close(): links are being closed for good; their unacknowledged events go nowhere. */
  private linksClosing = false;

  constructor(options: GatewayOptions) {
    super();
    this.options = resolveGatewayOptions(options);
    this.given = options;
    this.router = new Router<WorkerLink>(this.options.routing);
    this.log = this.options.logger.child({ gatewayId: this.gatewayId });
    this.throttle = new LogThrottle(this.log);
    const closeClient = (client: Client, why: CloseReason): void => this.closeClient(client, why, null);
    this.pending = new PendingEvents(this.options.pendingEvents.max, this.options.pendingEvents.maxBytes);
    this.dispatcher = new EventDispatcher({
      pool: this.pool,
      router: this.router,
      pending: this.pending,
      overflowPolicy: this.options.pendingEvents.policy,
      poison: this.options.poison,
      clientId: (client) => clientIdFor(this.gatewayId, client.num),
      counters: this.counterSet,
      log: this.log,
      throttle: this.throttle,
      closeClient,
    });
    this.outbound = new Outbound({
      maxBytes: this.options.sendBuffer.maxBytes,
      policy: this.options.sendBuffer.policy,
      counters: this.counterSet,
      log: this.log,
      throttle: this.throttle,
      closeClient,
    });
    this.streams = new CommandStreams(this.counterSet, this.log);
    this.commands = {
      gatewayId: this.gatewayId,
      table: this.table,
      outbound: this.outbound,
      counters: this.counterSet,
      log: this.log,
      closeClient: (client, why, data) => this.closeClient(client, why, data),
      ack: (link, seq) => {
        if (!this.dispatcher.ack(link, seq)) throw ProtocolError.invalid('Ack', `seq ${seq} acknowledges events never sent on this link`);
      },
      ackRanges: (link, ranges) => {
        if (!this.dispatcher.ackRanges(link, ranges)) throw ProtocolError.invalid('AckRanges', 'a range reaches events never sent on this link');
      },
      workerReady: (link, workerId) => this.workerReady(link, workerId),
      streamResume: (link, sender, first) => {
        link.streaming = true;
        this.streams.resume(link, sender, first);
      },
      drain: (link) => this.workerDraining(link),
    };
    this.table.membership = (kind, key, present) => {
      if (this.listenerCount('membership-change') > 0) this.emit('membership-change', { kind, key, present });
    };
    this.heartbeat = new Heartbeat(
      this.options.heartbeat.intervalMs,
      this.options.heartbeat.timeoutMs,
      () => this.table.values(),
      (client, silentMs) => {
        this.counterSet.heartbeatTimeouts++;
        this.log.debug({ client: client.num, silentMs }, 'client heartbeat timeout: closing');
        this.closeClient(client, CloseReasons.HeartbeatTimeout, null);
      },
    );
    const host = this.listenerHost();
    this.clientListeners = this.options.listeners.map((l) => (l.kind === 'tcp' ? new TcpListener(l, host) : new WsListener(l, host)));
    // Frames to workers leave once per event-loop turn: the events of every client read in one turn share a write.
    const accept: AcceptOptions = {
      secret: this.options.secret,
      role: 'gateway',
      nodeId: this.options.nodeId,
      allowedRoles: ['worker', 'client'],
      link: this.options.link,
      flush: 'loop',
      gatewayId: this.gatewayId,
      cluster: this.options.cluster,
    };
    this.internal = new InternalServer(
      this.options.internal.host,
      this.options.internal.port,
      accept,
      this.options.preAuth,
      (a) => this.linkUp(a),
      (err, remote) => {
        this.counterSet.linksRefused++;
        this.throttle.warn('link-refused', { err: (err as Error | null)?.message, remote }, 'internal connection refused');
      },
      (remote, handshaking) => {
        this.counterSet.linksRefusedPreAuthLimit++;
        this.throttle.warn(
          'preauth-limit',
          { remote, handshaking, ...this.options.preAuth },
          'internal connection dropped: too many connections still in the handshake',
        );
      },
      (err) => this.log.error({ err }, 'internal listener error'),
    );
  }

  /** Binds every listener and the internal port, then announces to the registers. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new GatewayError(GatewayErrorCode.AlreadyStarted, 'start() was already called');
    this.state = 'starting';
    try {
      await this.internal.listen();
      for (const l of this.clientListeners) await l.listen();
    } catch (err) {
      this.destroy();
      throw new GatewayError(GatewayErrorCode.ListenFailed, `gateway could not bind: ${(err as Error).message}`, { cause: err });
    }
    if (this.state !== 'starting') throw new GatewayError(GatewayErrorCode.Closed, 'the gateway was closed while starting');
    this.state = 'started';
    this.heartbeat.start();
    this.startRegister();
    this.log.info(
      { listeners: this.listenerAddresses().map((l) => l.url), internal: this.internalAddress(), advertise: this.announcedAddress() },
      'gateway started',
    );
  }

  internalAddress(): { host: string; port: number } {
    return this.internal.address();
  }

  listenerAddresses(): { url: string; host: string; port: number }[] {
    return this.clientListeners.map((l) => {
      const { host, port } = l.address();
      return { url: boundUrl(l.options, port), host, port };
    });
  }

  stats(): GatewayStats {
    const stats: GatewayStats = {
      clients: this.table.size,
      uids: this.table.uidCount,
      groups: this.table.groupCount,
      workers: this.pool.workerCount,
      pending: this.pending.count,
    };
    if (this.busStats !== null) stats.bus = this.busStats();
    return stats;
  }

  /** Includes the bus bridges' state and counts in stats() (and so in the register's view and `status`); null stops it. */
  reportBusStats(source: (() => BusBridgeStats[]) | null): void {
    this.busStats = source;
  }

  counters(): Record<string, number> {
    return this.counterSet.snapshot();
  }

  /**
   * Applies a command to this gateway's own clients (for in-process bridges such as the bus);
   * returns the number of client writes it made. Client numbers of clients that are gone are
   * skipped. Does nothing once the gateway is closed.
   */
  applyLocal(command: LocalCommand): number {
    if (this.state === 'closed' || this.state === 'new') return 0;
    return applyLocalCommand(command, this.commands);
  }

  /** The uids and groups this gateway's clients hold now (a copy). */
  membership(): { uids: string[]; groups: string[] } {
    return { uids: [...this.table.uids()], groups: [...this.table.groupIds()] };
  }

  /**
   * Everything an operator sees of this gateway (metrics, status, the topology page), read from
   * plain fields: cheap enough to call every second.
   */
  snapshot(): GatewaySnapshot {
    const links: GatewayLinkSnapshot[] = [];
    for (const w of this.pool.all()) {
      links.push({
        id: w.id,
        role: w.role,
        nodeId: w.peerNodeId,
        workerId: w.workerId,
        state: w.closed ? 'closed' : w.draining ? 'draining' : w.ready ? 'ready' : 'connecting',
        unacked: w.unacked,
        unackedBytes: w.unackedBytes,
      });
    }
    return {
      gatewayId: this.gatewayId,
      state: this.state,
      announced: this.register !== null && this.register.connectedRegisters > 0,
      registers: this.options.registers.length,
      stats: this.stats(),
      counters: this.counterSet.snapshot(),
      listeners: this.clientListeners.map((l) => l.snapshot()),
      links,
    };
  }

  /** A client by id (of this gateway) or every client bound to a uid: what the topology page's lookup shows. */
  describeClients(idOrUid: string): ClientDescription[] {
    const parsed = parseClientId(idOrUid);
    const found: Client[] = [];
    if (parsed !== null && parsed.gatewayId === this.gatewayId) {
      const client = this.table.get(parsed.client);
      if (client !== undefined) found.push(client);
    }
    for (const client of this.table.clientsOfUid(idOrUid)) if (!found.includes(client)) found.push(client);
    return found.map((c) => ({
      clientId: clientIdFor(this.gatewayId, c.num),
      gatewayId: this.gatewayId,
      listener: c.transport.url,
      remoteAddress: c.socket.remoteAddress ?? '',
      remotePort: c.socket.remotePort ?? 0,
      uid: c.uid,
      groups: c.groups === null ? [] : [...c.groups],
      sessionBytes: c.session?.length ?? 0,
    }));
  }

  /**
   * Applies a live configuration change: client heartbeats, routing, the pending buffer, send
   * buffers and the listeners' limits (see GatewayLiveOptions; each section given replaces the
   * running one, a key it leaves out returns to its default). The result is validated whole
   * first; an invalid change throws a GatewayError (GW_ERR_INVALID_OPTIONS, the key named) and
   * changes nothing. Connected clients stay; limits apply to what comes next.
   */
  reconfigure(live: GatewayLiveOptions): void {
    // A section given replaces the running one whole: a key left out goes back to its default.
    const g = this.given;
    const merged: GatewayOptions = {
      ...g,
      ...(live.routing !== undefined && { routing: live.routing }),
      ...(live.heartbeat !== undefined && { heartbeat: live.heartbeat }),
      ...(live.pendingEvents !== undefined && { pendingEvents: live.pendingEvents }),
      ...(live.sendBuffer !== undefined && { sendBuffer: live.sendBuffer }),
      listeners: g.listeners.map((l, i) => {
        const limits = live.listeners?.[i];
        if (limits === undefined) return l;
        const { maxConnections: _a, maxMessageBytes: _b, handshakeTimeoutMs: _c, maxConnectionsPerIp: _d, ...fixed } = l;
        return { ...fixed, ...limits };
      }),
    };
    const next = resolveGatewayOptions(merged);
    this.given = merged;
    this.options = next;
    this.heartbeat.configure(next.heartbeat.intervalMs, next.heartbeat.timeoutMs);
    this.router.policy = next.routing;
    this.pending.max = next.pendingEvents.max;
    this.pending.maxBytes = next.pendingEvents.maxBytes;
    this.dispatcher.setOverflowPolicy(next.pendingEvents.policy);
    this.outbound.setLimits(next.sendBuffer.maxBytes, next.sendBuffer.policy);
    this.clientListeners.forEach((l, i) => l.reconfigure(next.listeners[i] as ResolvedListenerOptions));
    this.log.info(
      { heartbeat: next.heartbeat, routing: next.routing, pendingEvents: next.pendingEvents, sendBuffer: next.sendBuffer },
      'gateway reconfigured',
    );
  }

  /**
   * Stops taking new work: the client listeners and the internal port stop accepting (their ports
   * are released); connected clients and links carry on. Idempotent; close() starts with it.
   */
  drain(): Promise<void> {
    if (this.state !== 'started') return Promise.resolve();
    this.state = 'draining';
    this.log.info({ clients: this.table.size }, 'gateway draining: no new clients or links');
    this.stopAccepting();
    return Promise.resolve();
  }

  /** Graceful and idempotent (every call returns the same promise); see the package README for the steps. */
  close(): Promise<void> {
    return this.lifecycle.close(() => this.shutdown());
  }

  /** Immediate: drops every socket and link. Safe during close(), which then resolves; 'close' is emitted once either way. */
  destroy(): void {
    this.lifecycle.destroy(() => {
      this.state = 'closed';
      this.stopTimers();
      this.internal.destroy();
      for (const l of this.clientListeners) l.destroy();
      for (const client of this.table.values()) this.abortClient(client);
      for (const w of this.pool.all()) w.link.destroy();
      this.pending.clear();
      this.register?.destroy();
      void this.closeAnnouncers();
    });
  }

  private async shutdown(): Promise<void> {
    if (this.state === 'new') {
      this.state = 'closed';
      return;
    }
    this.state = 'closing';
    this.log.info({ clients: this.table.size }, 'gateway closing');
    this.stopTimers();
    this.stopAccepting();
    // Clients go away first; their ClientClose events reach a worker if one is up.
    if (this.table.size > 0) {
      const gone = new Promise<void>((resolve) => (this.onAllClientsGone = resolve));
      for (const client of [...this.table.values()]) this.closeClient(client, CloseReasons.GoingAway, null);
      if (!(await withTimeout(gone, DEFAULT_CLOSE_CLIENTS_TIMEOUT_MS))) {
        for (const client of [...this.table.values()]) this.abortClient(client);
        await withTimeout(gone, 1000);
      }
    }
    await withTimeout(this.dispatcher.whenIdle(), DEFAULT_CLOSE_EVENTS_TIMEOUT_MS);
    // destroy() overtook this close: it dropped everything already.
    if (this.lifecycle.closed) return;
    const dropped = this.pending.clear();
    if (dropped > 0) this.log.warn({ dropped }, 'gateway closed with client events no worker took');
    // No event follows: tell each worker (a draining one already has its DrainAck), then close links.
    for (const w of this.pool.all()) if (w.role === 'worker' && w.ready && !w.draining && !w.closed) w.link.send({ op: Op.DrainAck });
    if (this.register !== null) await this.register.close();
    await this.closeAnnouncers();
    this.linksClosing = true;
    await Promise.all([...this.pool.all()].map((w) => w.link.close()));
    this.internal.destroy();
    for (const l of this.clientListeners) l.destroy();
    this.state = 'closed';
    this.log.info({}, 'gateway closed');
  }

  private stopAccepting(): void {
    this.internal.stopAccepting();
    for (const l of this.clientListeners) l.stopAccepting();
  }

  private stopTimers(): void {
    this.heartbeat.stop();
    this.streams.close();
    this.outbound.stop();
    if (this.statsTimer !== null) clearInterval(this.statsTimer);
    this.statsTimer = null;
  }

  private announcedAddress(): string {
    const { host, port } = this.options.advertise;
    return formatAddress(host, port ?? this.internal.address().port);
  }

  private startRegister(): void {
    const { registers, announcers } = this.options;
    if (registers.length === 0 && announcers.length === 0) {
      this.log.warn({}, 'no registers configured: workers must be pointed at this gateway some other way');
      return;
    }
    const info: GatewayInfo = {
      gatewayId: this.gatewayId,
      nodeId: this.options.nodeId,
      address: this.announcedAddress(),
      processIndex: this.options.processIndex,
      pid: process.pid,
      stats: this.stats(),
    };
    if (registers.length > 0) {
      // Heartbeat and handshake as on worker links; frame and buffer bounds stay the register link's defaults.
      const { pingIntervalMs, timeoutMs, handshakeTimeoutMs } = this.options.link;
      this.register = new RegisterClient({
        registers: [...registers],
        secret: this.options.secret,
        role: 'gateway',
        nodeId: this.options.nodeId,
        gateway: info,
        cluster: this.options.cluster,
        logger: this.log,
        link: { pingIntervalMs, timeoutMs, handshakeTimeoutMs },
      });
      this.register.start();
    }
    for (const a of announcers) a.announce(info);
    this.statsTimer = setInterval(() => {
      const stats = this.stats();
      this.register?.updateStats(stats);
      for (const a of announcers) a.updateStats(stats);
    }, this.options.statsIntervalMs);
    this.statsTimer.unref();
  }

  /** Withdraws the announcements (the registers notice the closed link). */
  private closeAnnouncers(): Promise<void> {
    return Promise.all(
      this.options.announcers.map((a) => a.close().catch((err: unknown) => this.log.warn({ err }, 'withdrawing the gateway record failed'))),
    ).then(() => {});
  }

  // ---- clients ----

  private listenerHost(): ListenerHost {
    const gateway = this;
    return {
      log: this.log,
      counters: this.counterSet,
      throttle: this.throttle,
      get accepting() {
        return gateway.state === 'started' || gateway.state === 'starting';
      },
      accept: (transport: ClientTransport, socket: ClientSocket, info: ConnectInfo): Client => {
        const client = new Client(this.nextClientNumber++, transport, socket);
        this.table.add(client);
        this.counterSet.clientsAccepted++;
        transport.counters.accepted++;
        this.dispatcher.connect(client, info);
        return client;
      },
      message: (client: Client, payload: Buffer, binary: boolean): void => {
        const counters = this.counterSet;
        counters.messagesIn++;
        counters.bytesIn += payload.length;
        const perListener = client.transport.counters;
        perListener.messagesIn++;
        perListener.bytesIn += payload.length;
        if (client.isOpen) this.dispatcher.message(client, payload, binary);
      },
      closed: (client: Client): void => {
        if (client.state === ClientState.Closed) return;
        client.state = ClientState.Closed;
        client.inbound = null;
        this.table.remove(client);
        this.counterSet.clientsClosed++;
        if (this.state !== 'closed') this.dispatcher.close(client);
        if (this.table.size === 0 && this.onAllClientsGone !== null) this.onAllClientsGone();
      },
    };
  }

  private closeClient(client: Client, why: CloseReason, data: Buffer | null): void {
    if (client.state === ClientState.Closed || (client.state === ClientState.Closing && !why.abort)) return;
    client.state = ClientState.Closing;
    client.transport.close(client, why, data);
  }

  private abortClient(client: Client): void {
    if (client.state === ClientState.Closed) return;
    client.state = ClientState.Closing;
    if (client.ws !== null) client.ws.terminate();
    else (client.socket as unknown as { destroy(): void }).destroy();
  }

  // ---- internal links ----

  private linkUp({ link, peerRole, peerNodeId }: AcceptedLink): void {
    if (this.state !== 'started') {
      void link.close();
      return;
    }
    const w = new WorkerLink(this.nextLinkId++, link, peerRole, peerNodeId, this.options.linkWindow);
    this.pool.add(w);
    this.counterSet.linksAccepted++;
    this.log.debug({ link: w.id, peerRole, nodeId: peerNodeId, remote: link.remoteAddress }, 'internal link up');
    link.onMessage = (message) => this.linkMessage(w, message);
    link.onClose = (err) => this.linkClosed(w, err);
  }

  private linkMessage(w: WorkerLink, message: Message): void {
    // A command stream's op is applied at most once: re-sent duplicates and stale links are skipped.
    if (w.streaming && isStreamOp(message.op) && !this.streams.admit(w)) return;
    try {
      handleInbound(message, w, this.commands);
    } catch (err) {
      if (err instanceof ProtocolError) {
        this.log.warn({ link: w.id, workerId: w.workerId, code: err.code, err: err.message }, 'internal link broke the protocol: closing it');
        w.link.fail(err);
      } else {
        this.log.error({ link: w.id, workerId: w.workerId, err }, 'internal error handling a link message: closing the link');
        w.link.fail(new ProtocolError(ErrorCode.Unexpected, 'gateway failed to handle a message', { wire: WireErrorCode.Unexpected, cause: err }));
      }
    }
  }

  private linkClosed(w: WorkerLink, err: Error | null): void {
    w.closed = true;
    this.streams.linkClosed(w);
    this.pool.remove(w);
    if (err !== null) this.counterSet.linksFailed++;
    if (err !== null) this.log.warn({ link: w.id, workerId: w.workerId, err: err.message }, 'internal link closed with an error');
    else this.log.debug({ link: w.id, workerId: w.workerId }, 'internal link closed');
    if (this.state === 'closed' || this.linksClosing) w.takeUnacked();
    else this.dispatcher.linkLost(w, w.ready && !w.draining && !isHeartbeatTimeout(err));
    this.emit('link-closed', { linkId: w.id, role: w.role, workerId: w.workerId, error: err });
  }

  private workerReady(w: WorkerLink, workerId: string): void {
    if (w.ready) {
      this.log.warn({ link: w.id, workerId }, 'duplicate WorkerReady: ignored');
      return;
    }
    w.workerId = workerId;
    w.ready = true;
    this.pool.refresh();
    this.log.debug({ link: w.id, workerId, nodeId: w.peerNodeId }, 'worker ready');
    this.dispatcher.linkReady();
    this.emit('worker-ready', { linkId: w.id, workerId, nodeId: w.peerNodeId });
  }

  private workerDraining(w: WorkerLink): void {
    if (!w.draining) {
      w.draining = true;
      this.pool.refresh();
      this.log.info({ link: w.id, workerId: w.workerId, unacked: w.unacked }, 'worker draining');
    }
    w.link.send({ op: Op.DrainAck });
    this.emit('worker-draining', { linkId: w.id, workerId: w.workerId });
  }
}
