import type { GatewayInfo } from '@gateworker/protocol';
import { DiscoveryBackend } from './backend.js';
import { DiscoveryError, DiscoveryErrorCode } from './errors.js';
import type { ResolvedDiscoveryOptions } from './options.js';

/** Discovery on ZooKeeper (placeholder until the client is wired). */
export class ZookeeperBackend extends DiscoveryBackend {
  constructor(options: ResolvedDiscoveryOptions) {
    super(options);
  }
  start(): void {
    throw new DiscoveryError(DiscoveryErrorCode.BackendMissing, 'ZooKeeper discovery is not available in this build');
  }
  protected write(_info: GatewayInfo): void {}
  protected erase(_gatewayId: string): void {}
  destroy(): void {
    this.closed = true;
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
