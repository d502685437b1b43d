import type { PeerRole, WorkerInfo } from '@gateworker/protocol';
import { createBackend, DiscoveryDirectory } from '@gateworker/discovery';
import { RegisterClient } from '@gateworker/register';
import { StaticGatewayDirectory, type GatewayDirectory } from './directory.js';
import type { ResolvedCommonOptions } from './options.js';

/** The gateway list source the options ask for: an injected directory, a static list, a discovery backend, or the registers. */
export function createDirectory(
  options: ResolvedCommonOptions,
  role: Extract<PeerRole, 'worker' | 'client'>,
  nodeId: string,
  worker: WorkerInfo | null,
): GatewayDirectory {
  if (options.directory !== null) return options.directory;
  if (options.gateways !== null) return new StaticGatewayDirectory(options.gateways);
  if (options.discovery !== null) {
    const cluster = options.discovery.cluster ?? options.cluster;
    return new DiscoveryDirectory(
      createBackend({ ...options.discovery, ...(cluster !== undefined && { cluster }), logger: options.discovery.logger ?? options.logger }),
    );
  }
  return new RegisterClient({
    registers: [...options.registers],
    secret: options.secret,
    role,
    nodeId,
    ...(worker !== null && { worker }),
    logger: options.logger,
    cluster: options.cluster,
    // Heartbeat and handshake as on gateway links; frame and buffer bounds stay the register link's defaults.
    link: { pingIntervalMs: options.link.pingIntervalMs, timeoutMs: options.link.timeoutMs, handshakeTimeoutMs: options.link.handshakeTimeoutMs },
  });
}
