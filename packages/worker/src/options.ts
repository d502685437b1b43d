import type { AppConfigChange, CentreSpec } from '@gateworker/centre';
import { hostname } from 'node:os';
import {
  CLUSTER_NAME_PATTERN,
  MAX_NODE_ID_LENGTH,
  MAX_WORKER_ID_LENGTH,
  resolveLinkOptions,
  type LinkOptions,
  type ResolvedLinkOptions,
} from '@gateworker/protocol';
import type { Logger } from '@gateworker/protocol/node';
import { silentLogger } from '@gateworker/protocol/node';
import { DEFAULT_REGISTER_READY_TIMEOUT_MS, DEFAULT_STATS_INTERVAL_MS } from '@gateworker/register';
import type { DiscoveryOptions } from '@gateworker/discovery';
import { DEFAULT_COMMAND_BUFFER_MAX_AGE_MS, DEFAULT_COMMAND_BUFFER_MAX_BYTES, type CommandBufferBounds } from './command-stream.js';
import type { GatewayDirectory, StaticGateway } from './directory.js';
import { InvalidOptionsError } from './errors.js';
import { handlerShapeProblem, type Handler } from './handler.js';

/** Default bound on a query's wait for gateway answers, in milliseconds. */
export const DEFAULT_QUERY_TIMEOUT_MS = 5_000;
/** Default bound on a drain (finish in-flight events, flush acks) before closing anyway, in milliseconds. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;
/**
 * Default bound on start() / ready() (`readyTimeoutMs`): the directory's first answer plus a ready
 * link to every listed gateway, in milliseconds. The first part alone is bounded by
 * DEFAULT_REGISTER_READY_TIMEOUT_MS of @gateworker/register.
 */
export const DEFAULT_READY_TIMEOUT_MS = 30_000;
/** @deprecated The same constant as DEFAULT_REGISTER_READY_TIMEOUT_MS of @gateworker/register (10 s); use that. */
export const DEFAULT_REGISTER_TIMEOUT_MS = DEFAULT_REGISTER_READY_TIMEOUT_MS;
/** First reconnect delay after a link to a listed gateway drops, in milliseconds (doubles per attempt). */
export const DEFAULT_RECONNECT_MIN_MS = 100;
/** Largest reconnect delay, in milliseconds. */
export const DEFAULT_RECONNECT_MAX_MS = 5_000;

/** @deprecated The one link options shape: LinkOptions of @gateworker/protocol. */
export type LinkTuning = LinkOptions;

/** Options shared by BusinessWorker and GatewayClient. */
export interface CommonOptions {
  /** Register addresses (host:port). Several registers: their views are merged. */
  registers?: readonly string[] | undefined;
  secret: string;
  queryTimeoutMs?: number | undefined;
  readyTimeoutMs?: number | undefined;
  /**
   * Links to the gateways: heartbeat, handshake timeout, frame and buffer bounds. The links to
   * registers take the heartbeat and handshake timeout (their frame and buffer bounds stay the defaults).
   */
  link?: LinkOptions | undefined;
  reconnect?: { minMs?: number | undefined; maxMs?: number | undefined } | undefined;
  logger?: Logger | undefined;
  /**
   * A fixed gateway list instead of registers, for tests and static deployments (the gateway ids
   * must be known, since client ids are routed by them).
   */
  gateways?: readonly StaticGateway[] | undefined;
  /**
   * Discovery on etcd or ZooKeeper instead of registers: `{ etcd: { endpoints }, cluster }` or
   * `{ zookeeper: { servers }, cluster }`. This process holds its own session on the backend.
   */
  discovery?: DiscoveryOptions | undefined;
  /** Any other source of the gateway list (tests, embedding). Takes precedence over registers/gateways/discovery. */
  directory?: GatewayDirectory | undefined;
  /** Cluster name stated in every handshake; gateways and registers of another cluster are refused. */
  cluster?: string | undefined;
  /**
   * Bounds of the commands kept per gateway until it confirms them (re-sent after a reconnect):
   * bytes and age in milliseconds. Past them the oldest are dropped, counted and logged.
   */
  commandBuffer?: { maxBytes?: number | undefined; maxAgeMs?: number | undefined } | undefined;
}

export interface BusinessWorkerOptions extends CommonOptions {
  handler: Handler<any>;
  nodeId: string;
  /** Unique per worker process; defaults to `<nodeId>/<pid>`. */
  workerId?: string | undefined;
  drainTimeoutMs?: number | undefined;
  statsIntervalMs?: number | undefined;
  /** The configuration's `app` section, as handlers read it (`worker.config`); default {}. */
  config?: Record<string, unknown> | undefined;
}

export interface GatewayClientOptions extends CommonOptions {
  nodeId?: string | undefined;
  /** A config centre (the config file's `config` section): `client.config` is its document's `app` section, live. */
  config?: CentreSpec | undefined;
  /** Called once per applied change of `client.config` (keys changed, both snapshots). */
  onConfigChange?: ((change: AppConfigChange) => void) | undefined;
}

export interface ResolvedCommonOptions {
  readonly registers: readonly string[];
  readonly secret: string;
  readonly queryTimeoutMs: number;
  readonly readyTimeoutMs: number;
  readonly link: ResolvedLinkOptions;
  readonly reconnect: { readonly minMs: number; readonly maxMs: number };
  readonly logger: Logger;
  readonly gateways: readonly StaticGateway[] | null;
  readonly discovery: DiscoveryOptions | null;
  readonly directory: GatewayDirectory | null;
  readonly cluster: string | undefined;
  readonly commandBuffer: CommandBufferBounds;
}

export interface ResolvedWorkerOptions extends ResolvedCommonOptions {
  readonly handler: Handler<any>;
  readonly nodeId: string;
  readonly workerId: string;
  readonly drainTimeoutMs: number;
  readonly statsIntervalMs: number;
  readonly config: Readonly<Record<string, unknown>>;
}

export interface ResolvedClientOptions extends ResolvedCommonOptions {
  readonly nodeId: string;
  readonly config: CentreSpec | undefined;
  readonly onConfigChange: ((change: AppConfigChange) => void) | undefined;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw new InvalidOptionsError(`${name} must be a positive number of milliseconds, got ${String(value)}`);
  return value;
}

function resolveCommon(options: CommonOptions, what: string): ResolvedCommonOptions {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionsError(`${what} options must be an object`);
  if (typeof options.secret !== 'string') throw new InvalidOptionsError(`${what}: secret must be a string`);
  const registers = options.registers ?? [];
  if (!isAddressList(registers)) {
    throw new InvalidOptionsError(`${what}: registers must be a list of host:port strings`);
  }
  const gateways = options.gateways ?? null;
  if (gateways !== null && !gateways.every((g) => typeof g?.gatewayId === 'string' && typeof g.address === 'string')) {
    throw new InvalidOptionsError(`${what}: gateways must be a list of { gatewayId, address }`);
  }
  const directory = options.directory ?? null;
  const discovery = options.discovery ?? null;
  if (discovery !== null && (typeof discovery !== 'object' || (discovery.etcd === undefined) === (discovery.zookeeper === undefined))) {
    throw new InvalidOptionsError(`${what}: discovery must name exactly one backend: { etcd: {...} } or { zookeeper: {...} }`);
  }
  if (registers.length === 0 && gateways === null && directory === null && discovery === null) {
    throw new InvalidOptionsError(`${what}: registers is empty (give at least one register address, a discovery backend, or a static gateways list)`);
  }
  if (options.cluster !== undefined && (typeof options.cluster !== 'string' || !CLUSTER_NAME_PATTERN.test(options.cluster))) {
    throw new InvalidOptionsError(`${what}: cluster must be 1-64 letters, digits, ".", "_" or "-", got ${JSON.stringify(options.cluster)}`);
  }
  const minMs = positive('reconnect.minMs', options.reconnect?.minMs, DEFAULT_RECONNECT_MIN_MS);
  const maxMs = Math.max(minMs, positive('reconnect.maxMs', options.reconnect?.maxMs, DEFAULT_RECONNECT_MAX_MS));
  return {
    registers: [...registers],
    secret: options.secret,
    queryTimeoutMs: positive('queryTimeoutMs', options.queryTimeoutMs, DEFAULT_QUERY_TIMEOUT_MS),
    readyTimeoutMs: positive('readyTimeoutMs', options.readyTimeoutMs, DEFAULT_READY_TIMEOUT_MS),
    link: resolveLinkOptions(options.link, (key, problem) => new InvalidOptionsError(`${what}: ${key} ${problem}`)),
    reconnect: { minMs, maxMs },
    logger: options.logger ?? silentLogger,
    gateways,
    discovery,
    directory,
    cluster: options.cluster,
    commandBuffer: {
      maxBytes: positive('commandBuffer.maxBytes', options.commandBuffer?.maxBytes, DEFAULT_COMMAND_BUFFER_MAX_BYTES),
      maxAgeMs: positive('commandBuffer.maxAgeMs', options.commandBuffer?.maxAgeMs, DEFAULT_COMMAND_BUFFER_MAX_AGE_MS),
    },
  };
}

function plainConfig(config: Record<string, unknown> | undefined): Record<string, unknown> {
  if (config === undefined) return {};
  if (typeof config !== 'object' || config === null || Array.isArray(config))
    throw new InvalidOptionsError('BusinessWorker: config must be a plain object');
  return config;
}

/** A node or worker id the wire carries: a non-empty string within the protocol's limit. */
function isId(value: unknown, maxLength: number): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= maxLength;
}

export function resolveWorkerOptions(options: BusinessWorkerOptions): ResolvedWorkerOptions {
  const common = resolveCommon(options, 'BusinessWorker');
  const problem = handlerShapeProblem(options.handler);
  if (problem !== null) throw new InvalidOptionsError(`BusinessWorker: handler: ${problem}`);
  if (!isId(options.nodeId, MAX_NODE_ID_LENGTH))
    throw new InvalidOptionsError(`BusinessWorker: nodeId must be a non-empty string of at most ${MAX_NODE_ID_LENGTH} characters`);
  const workerId = options.workerId ?? `${options.nodeId}/${process.pid}`;
  if (!isId(workerId, MAX_WORKER_ID_LENGTH)) {
    throw new InvalidOptionsError(
      `BusinessWorker: workerId (default <nodeId>/<pid>) must be a non-empty string of at most ${MAX_WORKER_ID_LENGTH} characters`,
    );
  }
  return {
    ...common,
    handler: options.handler,
    nodeId: options.nodeId,
    workerId,
    drainTimeoutMs: positive('drainTimeoutMs', options.drainTimeoutMs, DEFAULT_DRAIN_TIMEOUT_MS),
    statsIntervalMs: positive('statsIntervalMs', options.statsIntervalMs, DEFAULT_STATS_INTERVAL_MS),
    config: plainConfig(options.config),
  };
}

export function resolveClientOptions(options: GatewayClientOptions): ResolvedClientOptions {
  const common = resolveCommon(options, 'GatewayClient');
  if (options.nodeId !== undefined && !isId(options.nodeId, MAX_NODE_ID_LENGTH)) {
    throw new InvalidOptionsError(`GatewayClient: nodeId must be a non-empty string of at most ${MAX_NODE_ID_LENGTH} characters`);
  }
  return {
    ...common,
    nodeId: options.nodeId ?? `${hostname()}/client/${process.pid}`,
    config: options.config,
    onConfigChange: options.onConfigChange,
  };
}

/** A list of non-empty strings. A type guard rather than `Array.isArray`, which would widen the type to `any[]`. */
function isAddressList(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((r) => typeof r === 'string' && r.length > 0);
}
