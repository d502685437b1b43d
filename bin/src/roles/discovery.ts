import { readFileSync } from 'node:fs';
import {
  createBackend,
  DiscoveryAnnouncer,
  DiscoveryDirectory,
  DEFAULT_STATS_PUBLISH_INTERVAL_MS,
  type DiscoveryOptions,
  type RecordSink,
} from '@gateworker/discovery';
import type { GatewayAnnouncer } from '@gateworker/gateway';
import type { Logger } from '@gateworker/protocol/node';
import type { GatewayDirectory } from '@gateworker/worker';
import type { Config } from '../config/schema.js';

/**
 * How a role process takes part in discovery (etcd / ZooKeeper). Standalone roles hold their own
 * session; under `gateworker start` the supervisor holds the machine's one session and the
 * children use a relay (see supervisor/discovery-relay.ts and child.ts).
 */
export interface RoleDiscovery {
  /** Where a gateway's record goes. */
  announcer(): GatewayAnnouncer;
  /** A worker's gateway list. */
  directory(): GatewayDirectory;
}

/** The discovery package's options for the config, or null without `discovery:`. TLS files are read here. */
export function discoveryOptionsOf(config: Config, logger?: Logger): DiscoveryOptions | null {
  const d = config.discovery;
  if (d === undefined) return null;
  const common = { ...(config.cluster !== undefined && { cluster: config.cluster }), ...(logger !== undefined && { logger }) };
  if (d.etcd !== undefined) {
    const e = d.etcd;
    const file = (p: string | undefined) => (p === undefined ? undefined : readFileSync(p));
    return {
      ...common,
      etcd: {
        endpoints: [...e.endpoints],
        prefix: e.prefix,
        ttlMs: e.ttl,
        ...(e.username !== undefined && e.password !== undefined && { username: e.username, password: e.password }),
        ...(e.tls !== undefined && { tls: { ca: file(e.tls.ca), cert: file(e.tls.cert), key: file(e.tls.key) } }),
      },
    };
  }
  const z = d.zookeeper!;
  return { ...common, zookeeper: { servers: z.servers, path: z.path, sessionTimeoutMs: z.sessionTimeout } };
}

/** A standalone role's discovery: its own session on the backend. */
export function standaloneDiscovery(config: Config, logger: Logger): RoleDiscovery | null {
  const options = discoveryOptionsOf(config, logger);
  if (options === null) return null;
  return {
    announcer: () => {
      const backend = createBackend(options);
      backend.start();
      return new DiscoveryAnnouncer(backend, DEFAULT_STATS_PUBLISH_INTERVAL_MS, () => backend.close());
    },
    directory: () => new DiscoveryDirectory(createBackend(options)),
  };
}

/** A supervised child's discovery: records go to the supervisor, the list comes from it. */
export function relayedDiscovery(sink: RecordSink, directory: GatewayDirectory): RoleDiscovery {
  return {
    announcer: () => new DiscoveryAnnouncer(sink, DEFAULT_STATS_PUBLISH_INTERVAL_MS),
    directory: () => directory,
  };
}
