import type { GatewayInfo } from '@gateworker/protocol';
import type { DiscoveryBackend } from './backend.js';
import { EtcdBackend } from './etcd.js';
import { resolveDiscoveryOptions, type DiscoveryOptions, type ResolvedDiscoveryOptions } from './options.js';
import { ZookeeperBackend } from './zookeeper.js';

/** A backend for the options (not started). Each backend is one session on etcd / ZooKeeper. */
export function createBackend(options: DiscoveryOptions | ResolvedDiscoveryOptions): DiscoveryBackend {
  const resolved = 'gatewaysPath' in options ? options : resolveDiscoveryOptions(options);
  return resolved.backend.kind === 'etcd' ? new EtcdBackend(resolved) : new ZookeeperBackend(resolved);
}

/** Default bound on readClusterView, in milliseconds. */
export const DEFAULT_READ_TIMEOUT_MS = 5_000;

export interface ClusterView {
  cluster: string;
  /** e.g. `etcd http://127.0.0.1:2379 /gateworker/prod/gateways`. */
  backend: string;
  gateways: GatewayInfo[];
}

/**
 * One read of a cluster's gateways from the backend (for `gateworker status` and tools): opens a
 * session, reads, closes. Rejects with GW_ERR_DISCOVERY_UNAVAILABLE if the backend does not
 * answer within `timeoutMs`.
 */
export async function readClusterView(options: DiscoveryOptions, timeoutMs: number = DEFAULT_READ_TIMEOUT_MS): Promise<ClusterView> {
  const backend = createBackend(options);
  backend.start();
  try {
    await backend.ready(timeoutMs);
    const gateways = [...backend.gateways().values()].sort(
      (a, b) => a.nodeId.localeCompare(b.nodeId) || a.processIndex - b.processIndex || a.gatewayId.localeCompare(b.gatewayId),
    );
    return { cluster: backend.options.cluster, backend: backend.description, gateways };
  } finally {
    await backend.close();
  }
}
