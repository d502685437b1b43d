import {
  AddressError,
  CLUSTER_NAME_PATTERN,
  isUnspecifiedHost,
  MAX_NODE_ID_LENGTH,
  parseAddress,
  resolveLinkOptions,
  secretPolicyProblem,
  type GatewayInfo,
  type LinkOptions,
  type ResolvedLinkOptions,
  type GatewayStats,
} from '@gateworker/protocol';
import { DEFAULT_MAX_PREAUTH_CONNECTIONS, DEFAULT_MAX_PREAUTH_PER_ADDRESS, silentLogger, type Logger } from '@gateworker/protocol/node';
import { DEFAULT_STATS_INTERVAL_MS } from '@gateworker/register';
import { GatewayError } from './errors.js';
import { DEFAULT_LINK_WINDOW_BYTES, DEFAULT_LINK_WINDOW_EVENTS } from './worker-link.js';

/** Client heartbeat: ws ping / TCP idle check period, in milliseconds. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 25_000;
/** Client heartbeat: a client silent for this long is closed, in milliseconds. */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 60_000;
/** Client events buffered while no worker is usable, in events. */
export const DEFAULT_PENDING_EVENTS_MAX = 10_000;
/** Client events buffered while no worker is usable, in bytes of encoded events. */
export const DEFAULT_PENDING_EVENTS_MAX_BYTES = 128 * 1024 * 1024;
/** Worker deaths an event may be in flight for before it is quarantined (onPoison), in deliveries. */
export const DEFAULT_MAX_DELIVERIES = 2;
/** Per-client outgoing bound (socket buffer + message), in bytes. */
export const DEFAULT_SEND_BUFFER_MAX_BYTES = 1024 * 1024;
/** Client connections per listener, in connections. */
export const DEFAULT_MAX_CONNECTIONS = 100_000;
/** Largest client message, in bytes. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
/** Time a client has to finish the ws upgrade / TLS handshake, in milliseconds. */
export const DEFAULT_CLIENT_HANDSHAKE_TIMEOUT_MS = 10_000;
/** close(): how long clients get to finish their close handshake, in milliseconds. */
export const DEFAULT_CLOSE_CLIENTS_TIMEOUT_MS = 3_000;
/** close(): how long workers get to acknowledge the last client events, in milliseconds. */
export const DEFAULT_CLOSE_EVENTS_TIMEOUT_MS = 5_000;

/** How a client's events pick a worker; the first is the default. */
export const ROUTING_POLICIES = ['sticky', 'random', 'least-busy'] as const;
export type RoutingPolicy = (typeof ROUTING_POLICIES)[number];
/** How a tcp:// listener cuts the byte stream into messages; the first is the default. */
export const TCP_FRAMINGS = ['line', 'length', 'raw'] as const;
export type TcpFraming = (typeof TCP_FRAMINGS)[number];
/** What a full pending buffer does with a new event; the first is the default. */
export const PENDING_EVENTS_POLICIES = ['drop', 'close'] as const;
export type PendingEventsPolicy = (typeof PENDING_EVENTS_POLICIES)[number];
/** What a full send buffer does to its client; the first is the default. */
export const SEND_BUFFER_POLICIES = ['close', 'drop'] as const;
export type SendBufferPolicy = (typeof SEND_BUFFER_POLICIES)[number];
/** What happens to the client of a quarantined (poison) event; the first is the default. */
export const POISON_POLICIES = ['continue', 'close'] as const;
export type PoisonPolicy = (typeof POISON_POLICIES)[number];
/** Largest poison.maxDeliveries accepted, in deliveries. */
export const MAX_DELIVERIES_LIMIT = 1000;

export interface ListenerOptions {
  /** ws://host:port/path | wss://host:port/path | tcp://host:port */
  url: string;
  /** tcp only; default 'line' (\n-terminated, a trailing \r stripped); 'length' = u32 BE prefix; 'raw' = each chunk. */
  framing?: TcpFraming;
  /** Required for wss (PEM contents). Also accepted on tcp:// (TLS over TCP). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  maxConnections?: number;
  maxMessageBytes?: number;
  handshakeTimeoutMs?: number;
  /** 0 = unlimited. */
  maxConnectionsPerIp?: number;
}

/**
 * What a running gateway applies live (Gateway.reconfigure): client heartbeats, routing, the
 * pending buffer, send buffers, and each listener's limits (by position: url, framing and TLS stay).
 */
export interface GatewayLiveOptions {
  heartbeat?: { intervalMs?: number; timeoutMs?: number };
  routing?: RoutingPolicy;
  pendingEvents?: { max?: number; maxBytes?: number; policy?: PendingEventsPolicy };
  sendBuffer?: { maxBytes?: number; policy?: SendBufferPolicy };
  listeners?: Pick<ListenerOptions, 'maxConnections' | 'maxMessageBytes' | 'handshakeTimeoutMs' | 'maxConnectionsPerIp'>[];
}

export interface GatewayOptions {
  nodeId: string;
  processIndex?: number;
  secret: string;
  listeners: ListenerOptions[];
  internal: { host: string; port: number };
  /**
   * Address announced to the registers, which workers dial: `host`, `[ipv6]` or a bare IPv6
   * address (the bound internal port is added), or `host:port` / `[ipv6]:port`. Default: the
   * internal host. Required when the internal host is a wildcard (0.0.0.0, ::).
   */
  advertise?: string;
  /** Cluster name stated in the handshake; workers and registers of another cluster are refused. */
  cluster?: string;
  /** "host:port" list. */
  registers: string[];
  /** intervalMs 0 turns client heartbeats off. */
  heartbeat?: { intervalMs?: number; timeoutMs?: number };
  routing?: RoutingPolicy;
  pendingEvents?: { max?: number; maxBytes?: number; policy?: PendingEventsPolicy };
  /** Flow control per worker link: unacknowledged events and bytes. */
  linkWindow?: { events?: number; bytes?: number };
  /** Poison quarantine (worker.maxDeliveries in the config file). */
  poison?: { maxDeliveries?: number; policy?: PoisonPolicy };
  sendBuffer?: { maxBytes?: number; policy?: SendBufferPolicy };
  /** Internal links (workers, the registers): heartbeat, handshake timeout, frame and buffer bounds. */
  link?: LinkOptions;
  /**
   * Other places to announce this gateway besides the registers (a discovery backend such as etcd
   * or ZooKeeper, or the supervisor relaying to one). Each gets the record at start, live stats,
   * and close() when the gateway closes.
   */
  announcers?: GatewayAnnouncer[];
  /** Internal port: connections still in the handshake, in total and per remote address (0 = no limit). */
  preAuth?: { maxConnections?: number; maxPerAddress?: number };
  logger?: Logger;
}

/** Somewhere this gateway's record is published (see GatewayOptions.announcers). */
export interface GatewayAnnouncer {
  announce(info: GatewayInfo): void;
  /** Called at the stats interval; the announcer decides how often to publish. */
  updateStats(stats: GatewayStats): void;
  /** Withdraws the record. */
  close(): Promise<void>;
}

export type ListenerKind = 'ws' | 'wss' | 'tcp';

export interface ResolvedListenerOptions {
  readonly url: string;
  readonly kind: ListenerKind;
  readonly host: string;
  readonly port: number;
  /** ws only: the required request path, or null to accept any path. */
  readonly path: string | null;
  readonly framing: TcpFraming;
  readonly tls: { readonly cert: string | Buffer; readonly key: string | Buffer } | null;
  readonly maxConnections: number;
  readonly maxMessageBytes: number;
  readonly handshakeTimeoutMs: number;
  readonly maxConnectionsPerIp: number;
}

export interface ResolvedGatewayOptions {
  readonly nodeId: string;
  readonly processIndex: number;
  readonly secret: string;
  readonly listeners: readonly ResolvedListenerOptions[];
  readonly internal: { readonly host: string; readonly port: number };
  /** Host and port to announce; port null = the bound internal port. */
  readonly advertise: { readonly host: string; readonly port: number | null };
  readonly cluster: string | undefined;
  readonly registers: readonly string[];
  readonly heartbeat: { readonly intervalMs: number; readonly timeoutMs: number };
  readonly routing: RoutingPolicy;
  readonly pendingEvents: { readonly max: number; readonly maxBytes: number; readonly policy: PendingEventsPolicy };
  readonly linkWindow: { readonly events: number; readonly bytes: number };
  readonly poison: { readonly maxDeliveries: number; readonly policy: PoisonPolicy };
  readonly sendBuffer: { readonly maxBytes: number; readonly policy: SendBufferPolicy };
  readonly link: ResolvedLinkOptions;
  readonly preAuth: { readonly maxTotal: number; readonly maxPerAddress: number };
  readonly statsIntervalMs: number;
  readonly announcers: readonly GatewayAnnouncer[];
  readonly logger: Logger;
}

function int(key: string, value: number | undefined, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw GatewayError.invalidOptions(key, `expected an integer ${range}, got ${value}`);
  }
  return value;
}

/** One of `allowed`; the first when absent (each list starts with its default). */
function oneOf<T extends string>(key: string, value: T | undefined, allowed: readonly [T, ...T[]]): T {
  if (value === undefined) return allowed[0];
  if (!allowed.includes(value)) throw GatewayError.invalidOptions(key, `expected one of ${allowed.join(', ')}, got ${value}`);
  return value;
}

function resolveListener(l: ListenerOptions, i: number): ResolvedListenerOptions {
  const key = `listeners[${i}]`;
  let url: URL;
  try {
    url = new URL(l.url);
  } catch {
    throw GatewayError.invalidOptions(`${key}.url`, `not a URL: "${l.url}"`);
  }
  const kind = url.protocol.slice(0, -1);
  if (kind !== 'ws' && kind !== 'wss' && kind !== 'tcp') {
    throw GatewayError.invalidOptions(`${key}.url`, `scheme must be ws, wss or tcp, got "${url.protocol}"`);
  }
  if (url.port === '' && kind === 'tcp') throw GatewayError.invalidOptions(`${key}.url`, 'a tcp:// listener needs a port');
  const port = url.port === '' ? (kind === 'wss' ? 443 : 80) : Number(url.port);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (kind === 'wss' && l.tls === undefined) throw GatewayError.invalidOptions(`${key}.tls`, 'required for a wss:// listener');
  if (kind !== 'tcp' && l.framing !== undefined) throw GatewayError.invalidOptions(`${key}.framing`, 'only tcp:// listeners have a framing');
  const pathname = decodeURIComponent(url.pathname);
  return {
    url: l.url,
    kind,
    host,
    port,
    path: kind === 'tcp' || pathname === '/' || pathname === '' ? null : pathname,
    framing: oneOf(`${key}.framing`, l.framing, TCP_FRAMINGS),
    tls: l.tls === undefined ? null : { cert: l.tls.cert, key: l.tls.key },
    maxConnections: int(`${key}.maxConnections`, l.maxConnections, DEFAULT_MAX_CONNECTIONS, 1),
    maxMessageBytes: int(`${key}.maxMessageBytes`, l.maxMessageBytes, DEFAULT_MAX_MESSAGE_BYTES, 1),
    handshakeTimeoutMs: int(`${key}.handshakeTimeoutMs`, l.handshakeTimeoutMs, DEFAULT_CLIENT_HANDSHAKE_TIMEOUT_MS, 1),
    maxConnectionsPerIp: int(`${key}.maxConnectionsPerIp`, l.maxConnectionsPerIp, 0),
  };
}

/**
 * What to announce. A wildcard bind is not an address anyone can dial, and guessing one (the old
 * 127.0.0.1) made two gateways on two hosts announce the same address: refused instead.
 */
function resolveAdvertise(text: string | undefined, internalHost: string): { host: string; port: number | null } {
  if (text === undefined) {
    if (isUnspecifiedHost(internalHost)) {
      throw GatewayError.invalidOptions(
        'advertise',
        `required when the internal port binds every interface (${internalHost}): set advertise to the address workers on other machines dial to reach this gateway`,
      );
    }
    return { host: internalHost, port: null };
  }
  try {
    // -1 marks "no port written": the bound internal port is announced.
    const { host, port } = parseAddress(text, { defaultPort: -1 });
    if (isUnspecifiedHost(host)) throw new AddressError(`"${text}" is a wildcard address; announce one workers can dial`);
    return { host, port: port === -1 ? null : port };
  } catch (err) {
    throw GatewayError.invalidOptions('advertise', (err as Error).message);
  }
}

/** Defaults and validates every option once; throws one GatewayError (GW_ERR_INVALID_OPTIONS) naming the key. */
export function resolveGatewayOptions(options: GatewayOptions): ResolvedGatewayOptions {
  if (typeof options.nodeId !== 'string' || options.nodeId === '' || options.nodeId.length > MAX_NODE_ID_LENGTH) {
    throw GatewayError.invalidOptions('nodeId', `must be a non-empty string of at most ${MAX_NODE_ID_LENGTH} characters`);
  }
  if (typeof options.secret !== 'string') throw GatewayError.invalidOptions('secret', 'must be a string');
  const internal = options.internal;
  if (internal === undefined || typeof internal.host !== 'string' || internal.host === '') {
    throw GatewayError.invalidOptions('internal.host', 'must be a non-empty string');
  }
  const internalPort = int('internal.port', internal.port, 0);
  if (internalPort > 65535) throw GatewayError.invalidOptions('internal.port', `out of range: ${internalPort}`);
  const weak = secretPolicyProblem(options.secret, internal.host);
  if (weak !== null) throw GatewayError.invalidOptions('secret', `${weak} because internal.host (${internal.host}) is not a loopback address`);
  if (!Array.isArray(options.listeners)) throw GatewayError.invalidOptions('listeners', 'must be a list');
  if (!Array.isArray(options.registers) || !options.registers.every((r) => typeof r === 'string')) {
    throw GatewayError.invalidOptions('registers', 'must be a list of "host:port" strings');
  }
  const listeners = options.listeners.map(resolveListener);
  const advertise = resolveAdvertise(options.advertise, internal.host);
  if (options.cluster !== undefined && (typeof options.cluster !== 'string' || !CLUSTER_NAME_PATTERN.test(options.cluster))) {
    throw GatewayError.invalidOptions('cluster', `expected 1-64 letters, digits, ".", "_" or "-", got ${JSON.stringify(options.cluster)}`);
  }
  const heartbeatIntervalMs = int('heartbeat.intervalMs', options.heartbeat?.intervalMs, DEFAULT_HEARTBEAT_INTERVAL_MS);
  const heartbeatTimeoutMs = int('heartbeat.timeoutMs', options.heartbeat?.timeoutMs, DEFAULT_HEARTBEAT_TIMEOUT_MS, 1);
  if ((options as { handshakeTimeoutMs?: unknown }).handshakeTimeoutMs !== undefined) {
    throw GatewayError.invalidOptions('handshakeTimeoutMs', 'moved: set link.handshakeTimeoutMs');
  }
  const link = resolveLinkOptions(options.link, (key, problem) => GatewayError.invalidOptions(key, problem));
  return {
    nodeId: options.nodeId,
    processIndex: int('processIndex', options.processIndex, 0),
    secret: options.secret,
    listeners,
    internal: { host: internal.host, port: internalPort },
    advertise,
    cluster: options.cluster,
    registers: [...options.registers],
    heartbeat: { intervalMs: heartbeatIntervalMs, timeoutMs: heartbeatTimeoutMs },
    routing: oneOf('routing', options.routing, ROUTING_POLICIES),
    pendingEvents: {
      max: int('pendingEvents.max', options.pendingEvents?.max, DEFAULT_PENDING_EVENTS_MAX),
      maxBytes: int('pendingEvents.maxBytes', options.pendingEvents?.maxBytes, DEFAULT_PENDING_EVENTS_MAX_BYTES, 1),
      policy: oneOf('pendingEvents.policy', options.pendingEvents?.policy, PENDING_EVENTS_POLICIES),
    },
    linkWindow: {
      events: int('linkWindow.events', options.linkWindow?.events, DEFAULT_LINK_WINDOW_EVENTS, 1),
      bytes: int('linkWindow.bytes', options.linkWindow?.bytes, DEFAULT_LINK_WINDOW_BYTES, 1),
    },
    poison: {
      maxDeliveries: int('poison.maxDeliveries', options.poison?.maxDeliveries, DEFAULT_MAX_DELIVERIES, 1, MAX_DELIVERIES_LIMIT),
      policy: oneOf('poison.policy', options.poison?.policy, POISON_POLICIES),
    },
    sendBuffer: {
      maxBytes: int('sendBuffer.maxBytes', options.sendBuffer?.maxBytes, DEFAULT_SEND_BUFFER_MAX_BYTES, 1),
      policy: oneOf('sendBuffer.policy', options.sendBuffer?.policy, SEND_BUFFER_POLICIES),
    },
    link,
    preAuth: {
      maxTotal: int('preAuth.maxConnections', options.preAuth?.maxConnections, DEFAULT_MAX_PREAUTH_CONNECTIONS),
      maxPerAddress: int('preAuth.maxPerAddress', options.preAuth?.maxPerAddress, DEFAULT_MAX_PREAUTH_PER_ADDRESS),
    },
    statsIntervalMs: DEFAULT_STATS_INTERVAL_MS,
    announcers: [...(options.announcers ?? [])],
    logger: options.logger ?? silentLogger,
  };
}
