import type { Logger } from '@gateworker/protocol/node';
import { silentLogger } from '@gateworker/protocol/node';
import { DiscoveryError } from './errors.js';

/** Cluster name used in keys and paths when none is configured. */
export const DEFAULT_CLUSTER = 'default';
/** Root of gateworker's keys in etcd. */
export const DEFAULT_ETCD_PREFIX = '/gateworker';
/** Lease TTL of a published record in etcd, in milliseconds (etcd counts whole seconds, at least 1). */
export const DEFAULT_ETCD_TTL_MS = 10_000;
/** Bound on connecting to an etcd endpoint, in milliseconds. */
export const DEFAULT_ETCD_DIAL_TIMEOUT_MS = 3_000;
/** Root of gateworker's znodes in ZooKeeper. */
export const DEFAULT_ZOOKEEPER_PATH = '/gateworker';
/** ZooKeeper session timeout (ephemeral znodes vanish this long after a crash), in milliseconds. */
export const DEFAULT_ZOOKEEPER_SESSION_TIMEOUT_MS = 10_000;
/** Live stats are re-published at most this often (a write per gateway on the backend), in milliseconds. */
export const DEFAULT_STATS_PUBLISH_INTERVAL_MS = 5_000;
/** First delay before retrying a failed backend operation (re-grant, re-list), doubled up to the maximum, in ms. */
export const DEFAULT_RETRY_MIN_MS = 250;
export const DEFAULT_RETRY_MAX_MS = 5_000;
/** Largest record accepted from the backend, in bytes (a GatewayInfo is ~300 bytes). */
export const MAX_RECORD_BYTES = 16 * 1024;

const CLUSTER_NAME = /^[A-Za-z0-9._-]{1,64}$/;

export interface EtcdOptions {
  /** e.g. ['http://127.0.0.1:2379']; https:// endpoints need `tls.ca` unless the system trusts the server. */
  endpoints: readonly string[];
  prefix?: string | undefined;
  ttlMs?: number | undefined;
  username?: string | undefined;
  password?: string | undefined;
  tls?: { ca?: Buffer | undefined; cert?: Buffer | undefined; key?: Buffer | undefined } | undefined;
}

export interface ZookeeperOptions {
  /** Comma-separated host:port list, e.g. '127.0.0.1:2181,10.0.0.2:2181'. */
  servers: string;
  path?: string | undefined;
  sessionTimeoutMs?: number | undefined;
}

/** Exactly one of `etcd` or `zookeeper`. */
export interface DiscoveryOptions {
  etcd?: EtcdOptions | undefined;
  zookeeper?: ZookeeperOptions | undefined;
  /** Cluster name: keys live under <prefix>/<cluster>/gateways/. */
  cluster?: string | undefined;
  logger?: Logger | undefined;
  statsPublishIntervalMs?: number | undefined;
}

export type ResolvedBackendOptions =
  | {
      readonly kind: 'etcd';
      readonly endpoints: readonly string[];
      readonly prefix: string;
      readonly ttlSeconds: number;
      readonly auth: { readonly username: string; readonly password: string } | null;
      readonly tls: { readonly ca: Buffer | null; readonly cert: Buffer | null; readonly key: Buffer | null } | null;
    }
  | { readonly kind: 'zookeeper'; readonly servers: string; readonly path: string; readonly sessionTimeoutMs: number };

export interface ResolvedDiscoveryOptions {
  readonly backend: ResolvedBackendOptions;
  readonly cluster: string;
  /** Where the gateway records live: `<prefix>/<cluster>/gateways`, no trailing slash. */
  readonly gatewaysPath: string;
  readonly logger: Logger;
  readonly statsPublishIntervalMs: number;
}

function root(path: string | undefined, fallback: string, key: string): string {
  const p = path ?? fallback;
  if (typeof p !== 'string' || !p.startsWith('/') || /\/\/|\s/.test(p))
    throw DiscoveryError.invalidOptions(key, 'must be an absolute path like /gateworker');
  return p.length > 1 ? p.replace(/\/$/, '') : '';
}

function positiveMs(key: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw DiscoveryError.invalidOptions(key, 'must be a positive number of milliseconds');
  return value;
}

export function resolveDiscoveryOptions(options: DiscoveryOptions): ResolvedDiscoveryOptions {
  if (typeof options !== 'object' || options === null) throw DiscoveryError.invalidOptions('discovery', 'must be an object');
  const { etcd, zookeeper } = options;
  if ((etcd === undefined) === (zookeeper === undefined))
    throw DiscoveryError.invalidOptions('discovery', 'name exactly one backend: etcd or zookeeper');
  const cluster = options.cluster ?? DEFAULT_CLUSTER;
  if (typeof cluster !== 'string' || !CLUSTER_NAME.test(cluster))
    throw DiscoveryError.invalidOptions('cluster', 'must be 1-64 characters of A-Z a-z 0-9 . _ -');
  let backend: ResolvedBackendOptions;
  let base: string;
  if (etcd !== undefined) {
    if (!isUrlList(etcd.endpoints) || etcd.endpoints.length === 0) {
      throw DiscoveryError.invalidOptions('etcd.endpoints', 'must be a non-empty list of URLs like http://127.0.0.1:2379');
    }
    if ((etcd.username === undefined) !== (etcd.password === undefined))
      throw DiscoveryError.invalidOptions('etcd.password', 'username and password go together');
    base = root(etcd.prefix, DEFAULT_ETCD_PREFIX, 'etcd.prefix');
    const ttlMs = positiveMs('etcd.ttl', etcd.ttlMs, DEFAULT_ETCD_TTL_MS);
    backend = {
      kind: 'etcd',
      endpoints: [...etcd.endpoints],
      prefix: base,
      ttlSeconds: Math.max(1, Math.ceil(ttlMs / 1000)),
      auth: etcd.username !== undefined && etcd.password !== undefined ? { username: etcd.username, password: etcd.password } : null,
      tls: etcd.tls === undefined ? null : { ca: etcd.tls.ca ?? null, cert: etcd.tls.cert ?? null, key: etcd.tls.key ?? null },
    };
  } else {
    const zk = zookeeper as ZookeeperOptions;
    if (typeof zk.servers !== 'string' || !/^[^,\s]+:\d{1,5}(,[^,\s]+:\d{1,5})*$/.test(zk.servers)) {
      throw DiscoveryError.invalidOptions('zookeeper.servers', 'must be a comma-separated host:port list');
    }
    base = root(zk.path, DEFAULT_ZOOKEEPER_PATH, 'zookeeper.path');
    backend = {
      kind: 'zookeeper',
      servers: zk.servers,
      path: base,
      sessionTimeoutMs: positiveMs('zookeeper.sessionTimeout', zk.sessionTimeoutMs, DEFAULT_ZOOKEEPER_SESSION_TIMEOUT_MS),
    };
  }
  return {
    backend,
    cluster,
    gatewaysPath: `${base}/${cluster}/gateways`,
    logger: options.logger ?? silentLogger,
    statsPublishIntervalMs: positiveMs('statsPublishIntervalMs', options.statsPublishIntervalMs, DEFAULT_STATS_PUBLISH_INTERVAL_MS),
  };
}

/** For logs and status: where the records are. */
export function describeBackend(o: ResolvedDiscoveryOptions): string {
  return o.backend.kind === 'etcd' ? `etcd ${o.backend.endpoints.join(',')} ${o.gatewaysPath}` : `zookeeper ${o.backend.servers} ${o.gatewaysPath}`;
}

/** A list of non-empty strings. A type guard rather than `Array.isArray`, which would widen the type to `any[]`. */
function isUrlList(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((e) => typeof e === 'string' && e.length > 0);
}
