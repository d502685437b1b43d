import { EventEmitter } from 'node:events';
import type { GatewayInfo } from '@gateworker/protocol';
import { silentLogger, type Logger } from '@gateworker/protocol/node';
import { GatewayView, type ViewChange } from '@gateworker/register';
import type { DiscoveryBackend } from './backend.js';
import { DiscoveryError } from './errors.js';

/** The events a worker's GatewayDirectory emits (the worker package's interface, structurally). */
export interface DirectoryEvents {
  'gateway-up': [info: GatewayInfo];
  'gateway-down': [gatewayId: string];
}

/**
 * A worker's / GatewayClient's gateway list read from a discovery backend this process holds
 * (standalone roles). `owns`: close() ends the backend's session too.
 */
export class DiscoveryDirectory extends EventEmitter<DirectoryEvents> {
  private readonly onUp = (info: GatewayInfo): void => void this.emit('gateway-up', info);
  private readonly onDown = (id: string): void => void this.emit('gateway-down', id);

  constructor(
    readonly backend: DiscoveryBackend,
    private readonly owns = true,
  ) {
    super();
    backend.on('gateway-up', this.onUp);
    backend.on('gateway-down', this.onDown);
  }

  start(): void {
    this.backend.start();
  }

  ready(timeoutMs: number): Promise<void> {
    return this.backend.ready(timeoutMs);
  }

  gateways(): ReadonlyMap<string, GatewayInfo> {
    return this.backend.gateways();
  }

  async close(): Promise<void> {
    this.backend.off('gateway-up', this.onUp);
    this.backend.off('gateway-down', this.onDown);
    this.removeAllListeners();
    if (this.owns) await this.backend.close();
  }
}

/**
 * A gateway list fed with whole snapshots from elsewhere: under `gateworker start` the
 * supervisor holds the one backend session of the machine and sends each child the view over
 * IPC. Until the first snapshot, ready() waits.
 */
export class RelayedDirectory extends EventEmitter<DirectoryEvents> {
  private readonly view = new GatewayView<string>();
  private listed = false;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly log: Logger = silentLogger) {
    super();
  }

  start(): void {}

  /** The full current list (replaces the previous one; emits the differences). */
  apply(list: readonly GatewayInfo[]): void {
    this.emitChanges(this.view.replace('relay', list));
    if (!this.listed) {
      this.listed = true;
      for (const done of [...this.waiters]) done();
    }
  }

  ready(timeoutMs: number): Promise<void> {
    if (this.listed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(done);
        reject(DiscoveryError.unavailable("the supervisor's discovery view", timeoutMs));
      }, timeoutMs);
      this.waiters.add(done);
    });
  }

  gateways(): ReadonlyMap<string, GatewayInfo> {
    return this.view.gateways;
  }

  /**
   * Detaches the listeners. The list itself lives on: it belongs to the process (fed by the
   * supervisor), and a worker that retries its start uses it again.
   */
  close(): Promise<void> {
    this.removeAllListeners();
    return Promise.resolve();
  }

  private emitChanges(changes: ViewChange[]): void {
    for (const c of changes) {
      if (c.kind === 'down') {
        this.log.info({ gatewayId: c.gatewayId }, 'gateway left the discovery view');
        this.emit('gateway-down', c.gatewayId);
      } else if (c.kind === 'up') {
        this.log.info({ gatewayId: c.gateway.gatewayId, address: c.gateway.address }, 'gateway joined the discovery view');
        this.emit('gateway-up', c.gateway);
      }
    }
  }
}
