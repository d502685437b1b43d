import type { GatewayInfo, PeerRole, WorkerInfo } from '@gateworker/protocol';
import {
  CLUSTER_NAME_PATTERN,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_LINK_PING_INTERVAL_MS,
  DEFAULT_LINK_TIMEOUT_MS,
  MAX_NODE_ID_LENGTH,
  parseAddress,
  resolveLinkOptions,
  secretPolicyProblem,
  type LinkOptions,
  type ResolvedLinkOptions,
} from '@gateworker/protocol';
import { DEFAULT_MAX_PREAUTH_CONNECTIONS, DEFAULT_MAX_PREAUTH_PER_ADDRESS, silentLogger, type Logger } from '@gateworker/protocol/node';
import { RegisterError } from './errors.js';

/** @deprecated Register links take the link defaults of @gateworker/protocol: DEFAULT_HANDSHAKE_TIMEOUT_MS. */
export const DEFAULT_REGISTER_HANDSHAKE_TIMEOUT_MS = DEFAULT_HANDSHAKE_TIMEOUT_MS;
/** @deprecated Register links take the link defaults of @gateworker/protocol: DEFAULT_LINK_PING_INTERVAL_MS. */
export const DEFAULT_REGISTER_PING_INTERVAL_MS = DEFAULT_LINK_PING_INTERVAL_MS;
/** @deprecated Register links take the link defaults of @gateworker/protocol: DEFAULT_LINK_TIMEOUT_MS. */
export const DEFAULT_REGISTER_LINK_TIMEOUT_MS = DEFAULT_LINK_TIMEOUT_MS;
/** Default bound on simultaneous connections to one register (authenticated or not). */
export const DEFAULT_REGISTER_MAX_CONNECTIONS = 10_000;
/**
 * Default period of the stats reports to the registers (GatewayStats, WorkerStats), in milliseconds:
 * the one constant for gateways and workers alike (`status` shows numbers at most this old).
 */
export const DEFAULT_STATS_INTERVAL_MS = 1_000;
/** Default first reconnect delay after a lost or failed register link, in milliseconds (jittered). */
export const DEFAULT_RECONNECT_INITIAL_DELAY_MS = 200;
/** Default cap of the exponential reconnect delay, in milliseconds (jittered). */
export const DEFAULT_RECONNECT_MAX_DELAY_MS = 5_000;
/**
 * Default wait for a register's first answer (accepted us and, for workers and clients, sent its
 * gateway list), in milliseconds: `RegisterClient.ready()`, and the register part of a worker's
 * start(). Not the worker's `readyTimeoutMs` (DEFAULT_READY_TIMEOUT_MS of @gateworker/worker),
 * which also waits for a link to every listed gateway.
 */
export const DEFAULT_REGISTER_READY_TIMEOUT_MS = 10_000;
/** Default wait of `RegisterClient.status()` for the registers' answers, in milliseconds. */
export const DEFAULT_STATUS_TIMEOUT_MS = 3_000;

/** @deprecated The one link options shape: LinkOptions of @gateworker/protocol. */
export type LinkTimingOptions = LinkOptions;

export interface RegisterServerOptions {
  listen: { host: string; port: number };
  secret: string;
  nodeId: string;
  logger?: Logger;
  /**
   * Every link's options (heartbeat, handshake timeout, frame and buffer bounds); a gateway whose
   * link stops answering is removed within `timeoutMs`.
   */
  link?: LinkOptions;
  maxConnections?: number;
  /** Connections still in the handshake, in total and per remote address (0 = no limit). */
  preAuth?: { maxConnections?: number; maxPerAddress?: number };
  /** Cluster name stated in the handshake; peers of another cluster are refused. */
  cluster?: string | undefined;
}

export interface RegisterClientOptions {
  /** "host:port" of every register (IPv6 hosts in brackets). */
  registers: string[];
  secret: string;
  role: PeerRole;
  nodeId: string;
  /** Role gateway: announced on every (re)connect, with the latest stats. */
  gateway?: GatewayInfo;
  /** Role worker: sent with Subscribe on every (re)connect. */
  worker?: WorkerInfo;
  logger?: Logger;
  statsIntervalMs?: number;
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** The options of the link to each register. */
  link?: LinkOptions;
  /** Cluster name; registers of another cluster are refused. */
  cluster?: string | undefined;
}

/** @deprecated The one resolved link options type: ResolvedLinkOptions of @gateworker/protocol. */
export type ResolvedLinkTiming = ResolvedLinkOptions;

export interface ResolvedRegisterServerOptions {
  readonly host: string;
  readonly port: number;
  readonly secret: string;
  readonly nodeId: string;
  readonly logger: Logger;
  readonly link: ResolvedLinkOptions;
  readonly maxConnections: number;
  readonly preAuth: { readonly maxTotal: number; readonly maxPerAddress: number };
  readonly cluster: string | undefined;
}

export interface RegisterAddress {
  /** As configured; used in logs, events and errors. */
  readonly address: string;
  readonly host: string;
  readonly port: number;
}

export interface ResolvedRegisterClientOptions {
  readonly registers: readonly RegisterAddress[];
  readonly secret: string;
  readonly role: PeerRole;
  readonly nodeId: string;
  readonly gateway: GatewayInfo | null;
  readonly worker: WorkerInfo | null;
  readonly logger: Logger;
  readonly statsIntervalMs: number;
  readonly reconnect: { readonly initialDelayMs: number; readonly maxDelayMs: number };
  readonly link: ResolvedLinkOptions;
  readonly cluster: string | undefined;
}

const ROLES: readonly PeerRole[] = ['gateway', 'worker', 'client'];

function check(ok: boolean, key: string, what: string): void {
  if (!ok) throw RegisterError.invalidOptions(key, what);
}

function positiveMs(value: number | undefined, fallback: number, key: string, allowZero = false): number {
  const v = value ?? fallback;
  check(
    Number.isFinite(v) && (allowZero ? v >= 0 : v > 0),
    key,
    `must be a ${allowZero ? 'non-negative' : 'positive'} number of milliseconds, got ${v}`,
  );
  return v;
}

function nonNegativeInt(value: number | undefined, fallback: number, key: string): number {
  const v = value ?? fallback;
  check(Number.isSafeInteger(v) && v >= 0, key, `must be a non-negative integer (0 = no limit), got ${v}`);
  return v;
}

function nodeIdOf(nodeId: unknown): string {
  check(
    typeof nodeId === 'string' && nodeId.length > 0 && nodeId.length <= MAX_NODE_ID_LENGTH,
    'nodeId',
    `must be a non-empty string of at most ${MAX_NODE_ID_LENGTH} characters`,
  );
  return nodeId as string;
}

function clusterOf(cluster: unknown): string | undefined {
  check(
    cluster === undefined || (typeof cluster === 'string' && CLUSTER_NAME_PATTERN.test(cluster)),
    'cluster',
    'must be 1-64 letters, digits, ".", "_" or "-"',
  );
  return cluster as string | undefined;
}

/** The link options, resolved by the one resolver; `handshakeTimeoutMs` moved into them (refused at the top level, not ignored). */
function linkOf(options: { link?: LinkOptions | undefined }): ResolvedLinkOptions {
  check((options as { handshakeTimeoutMs?: unknown }).handshakeTimeoutMs === undefined, 'handshakeTimeoutMs', 'moved: set link.handshakeTimeoutMs');
  return resolveLinkOptions(options.link, (key, problem) => RegisterError.invalidOptions(key, problem));
}

/** Defaults and validates RegisterServer options once; throws a RegisterError (InvalidOptions). */
export function resolveRegisterServerOptions(options: RegisterServerOptions): ResolvedRegisterServerOptions {
  const { host, port } = options.listen ?? {};
  check(typeof host === 'string' && host.length > 0, 'listen.host', 'must be a host name or address');
  check(Number.isInteger(port) && port >= 0 && port <= 65535, 'listen.port', `must be a port number 0–65535, got ${port}`);
  check(typeof options.secret === 'string', 'secret', 'must be a string');
  const weak = secretPolicyProblem(options.secret, host);
  check(weak === null, 'secret', `${weak} because listen.host (${host}) is not a loopback address`);
  const maxConnections = options.maxConnections ?? DEFAULT_REGISTER_MAX_CONNECTIONS;
  check(Number.isInteger(maxConnections) && maxConnections > 0, 'maxConnections', 'must be a positive integer');
  return {
    host,
    port,
    secret: options.secret,
    nodeId: nodeIdOf(options.nodeId),
    logger: options.logger ?? silentLogger,
    link: linkOf(options),
    maxConnections,
    preAuth: {
      maxTotal: nonNegativeInt(options.preAuth?.maxConnections, DEFAULT_MAX_PREAUTH_CONNECTIONS, 'preAuth.maxConnections'),
      maxPerAddress: nonNegativeInt(options.preAuth?.maxPerAddress, DEFAULT_MAX_PREAUTH_PER_ADDRESS, 'preAuth.maxPerAddress'),
    },
    cluster: clusterOf(options.cluster),
  };
}

/** Defaults and validates RegisterClient options once; throws a RegisterError (InvalidOptions). */
export function resolveRegisterClientOptions(options: RegisterClientOptions): ResolvedRegisterClientOptions {
  check(Array.isArray(options.registers) && options.registers.length > 0, 'registers', 'must list at least one "host:port"');
  const registers = options.registers.map((address, i): RegisterAddress => {
    try {
      return { address, ...parseAddress(address) };
    } catch (err) {
      throw RegisterError.invalidOptions(`registers[${i}]`, (err as Error).message);
    }
  });
  check(new Set(registers.map((r) => `${r.host}:${r.port}`)).size === registers.length, 'registers', 'lists the same register twice');
  check(typeof options.secret === 'string', 'secret', 'must be a string');
  for (const r of registers) {
    const weak = secretPolicyProblem(options.secret, r.host);
    check(weak === null, 'secret', `${weak} because the register ${r.address} is not a loopback address`);
  }
  check(ROLES.includes(options.role), 'role', `must be one of ${ROLES.join(', ')}`);
  check(options.role !== 'gateway' || options.gateway !== undefined, 'gateway', 'is required for role gateway');
  check(options.role !== 'worker' || options.worker !== undefined, 'worker', 'is required for role worker');
  const initialDelayMs = positiveMs(options.reconnect?.initialDelayMs, DEFAULT_RECONNECT_INITIAL_DELAY_MS, 'reconnect.initialDelayMs');
  const maxDelayMs = positiveMs(options.reconnect?.maxDelayMs, Math.max(DEFAULT_RECONNECT_MAX_DELAY_MS, initialDelayMs), 'reconnect.maxDelayMs');
  check(maxDelayMs >= initialDelayMs, 'reconnect.maxDelayMs', 'must not be less than reconnect.initialDelayMs');
  return {
    registers,
    secret: options.secret,
    role: options.role,
    nodeId: nodeIdOf(options.nodeId),
    gateway: options.role === 'gateway' ? (options.gateway ?? null) : null,
    worker: options.role === 'worker' ? (options.worker ?? null) : null,
    logger: options.logger ?? silentLogger,
    statsIntervalMs: positiveMs(options.statsIntervalMs, DEFAULT_STATS_INTERVAL_MS, 'statsIntervalMs'),
    reconnect: { initialDelayMs, maxDelayMs },
    link: linkOf(options),
    cluster: clusterOf(options.cluster),
  };
}
