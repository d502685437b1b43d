import { EventEmitter } from 'node:events';
import type { GatewayInfo } from '@gateworker/protocol';
import { Lifecycle, type Logger } from '@gateworker/protocol/node';
import { GatewayView, type ViewChange } from '@gateworker/register';
import { DiscoveryError } from './errors.js';
import { DEFAULT_RETRY_MAX_MS, DEFAULT_RETRY_MIN_MS, describeBackend, type ResolvedDiscoveryOptions } from './options.js';
import { decodeRecord } from './record.js';

export interface DiscoveryBackendEvents {
  'gateway-up': [info: GatewayInfo];
  /** Same gateway id, new identity fields (address, pid...). Stats changes are not events. */
  'gateway-update': [info: GatewayInfo];
  'gateway-down': [gatewayId: string];
  /** The view is current (first read, or re-read after an outage) and own records are published. */
  connected: [];
  /** Contact with the backend is lost; the last view is kept (discovery is advisory). */
  disconnected: [reason: string];
  /** Once, when close() finished or destroy() ran (every listener is removed after it). */
  close: [];
}

/** Which source the single-source GatewayView merges; a backend has exactly one. */
const SOURCE = 'backend';

/**
 * One session with etcd or ZooKeeper: the watched list of a cluster's gateways, and the records
 * this process keeps published (its own gateway, or under `gateworker start`, every gateway of
 * the machine). Advisory: an outage keeps the last view and never fails a caller; on reconnect
 * the backend re-reads the list and re-publishes what it owns.
 */
export abstract class DiscoveryBackend extends EventEmitter<DiscoveryBackendEvents> {
  readonly options: ResolvedDiscoveryOptions;
  protected readonly log: Logger;
  private readonly view = new GatewayView<string>();
  /** Records to keep published, by gateway id. */
  protected readonly own = new Map<string, GatewayInfo>();
  /** The list was read at least once. */
  private listed = false;
  private readonly listWaiters = new Set<() => void>();
  protected isConnected = false;
  /** close() idempotent, destroy() safe during it, one 'close' event (see Lifecycle). */
  private readonly lifecycle = new Lifecycle(() => {
    this.emitSafely('close');
    this.removeAllListeners();
  });
  private retryDelayMs = DEFAULT_RETRY_MIN_MS;

  constructor(options: ResolvedDiscoveryOptions) {
    super();
    this.options = options;
    this.log = options.logger.child({ discovery: describeBackend(options) });
  }

  /** Connects and starts watching; never throws (failures are retried and logged). */
  abstract start(): void;
  /** close()'s steps: end the session so own records disappear now (lease revoked / session closed). */
  protected abstract endSession(): Promise<void>;
  /** destroy()'s steps: drop the session without withdrawing anything. */
  protected abstract dropSession(): void;

  /** close() or destroy() was called: no new work (writes, reconnects, re-reads). */
  protected get closed(): boolean {
    return this.lifecycle.stopping;
  }

  /** Ends the session: own records disappear now. Idempotent: every call returns the same promise. */
  close(): Promise<void> {
    return this.lifecycle.close(() => this.endSession());
  }

  /**
   * Drops the session without withdrawing anything: own records expire with the TTL, as after a
   * crash. Safe during close(), which then resolves; 'close' is emitted once either way.
   */
  destroy(): void {
    this.lifecycle.destroy(() => this.dropSession());
  }
  /** Writes (or re-writes) one own record. Failures are retried on reconnect. */
  protected abstract write(info: GatewayInfo): void;
  /** Removes one own record. */
  protected abstract erase(gatewayId: string): void;

  get description(): string {
    return describeBackend(this.options);
  }

  /** The watched view (live; do not mutate). */
  gateways(): ReadonlyMap<string, GatewayInfo> {
    return this.view.gateways;
  }

  /** True once the list was read (it may be stale while disconnected). */
  get hasList(): boolean {
    return this.listed;
  }

  /** True while the backend answers. */
  get connected(): boolean {
    return this.isConnected;
  }

  /** Resolves once the list has been read; rejects after `timeoutMs` without it. */
  ready(timeoutMs: number): Promise<void> {
    if (this.listed) return Promise.resolve();
    if (this.closed) return Promise.reject(DiscoveryError.closed(this.description));
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.listWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(() => {
        this.listWaiters.delete(done);
        reject(DiscoveryError.unavailable(this.description, timeoutMs));
      }, timeoutMs);
      this.listWaiters.add(done);
    });
  }

  /** Keeps `info` published (replacing any earlier version of the same gateway) until unpublish or close. */
  publish(info: GatewayInfo): void {
    if (this.closed) return;
    this.own.set(info.gatewayId, info);
    this.write(info);
  }

  unpublish(gatewayId: string): void {
    if (this.closed || !this.own.delete(gatewayId)) return;
    this.erase(gatewayId);
  }

  /** Ids of the records this backend keeps published. */
  published(): string[] {
    return [...this.own.keys()];
  }

  protected keyOf(gatewayId: string): string {
    return `${this.options.gatewaysPath}/${gatewayId}`;
  }

  /** Decodes a record, or logs and returns null (a bad record is skipped, never trusted). */
  protected decode(key: string, bytes: Uint8Array): GatewayInfo | null {
    try {
      return decodeRecord(key, bytes);
    } catch (err) {
      this.log.warn({ err: (err as Error).message, key }, 'skipping a bad discovery record');
      return null;
    }
  }

  /** A full read of the list: it replaces the view. */
  protected replaceAll(list: readonly GatewayInfo[]): void {
    this.apply(this.view.replace(SOURCE, list));
    if (!this.listed) {
      this.listed = true;
      for (const done of [...this.listWaiters]) done();
    }
  }

  protected upsert(info: GatewayInfo): void {
    this.apply(this.view.up(SOURCE, info));
  }

  protected remove(gatewayId: string): void {
    this.apply(this.view.down(SOURCE, gatewayId));
  }

  protected markConnected(): void {
    this.retryDelayMs = DEFAULT_RETRY_MIN_MS;
    if (this.isConnected) return;
    this.isConnected = true;
    this.log.info({ gateways: this.view.gateways.size, published: this.own.size }, 'discovery connected');
    this.emitSafely('connected');
  }

  protected markDisconnected(reason: string): void {
    if (!this.isConnected || this.closed) return;
    this.isConnected = false;
    this.log.warn({ reason, kept: this.view.gateways.size }, 'discovery backend lost; keeping the last view');
    this.emitSafely('disconnected', reason);
  }

  /** The next retry delay: doubling from DEFAULT_RETRY_MIN_MS up to `maxMs` (default DEFAULT_RETRY_MAX_MS). */
  protected nextRetryDelay(maxMs = DEFAULT_RETRY_MAX_MS): number {
    const d = Math.min(this.retryDelayMs, maxMs);
    this.retryDelayMs = Math.min(DEFAULT_RETRY_MAX_MS, this.retryDelayMs * 2);
    return d;
  }

  private apply(changes: ViewChange[]): void {
    for (const c of changes) {
      if (c.kind === 'down') {
        this.log.info({ gatewayId: c.gatewayId }, 'gateway left the discovery view');
        this.emitSafely('gateway-down', c.gatewayId);
      } else {
        if (c.kind === 'up') this.log.info({ gatewayId: c.gateway.gatewayId, address: c.gateway.address }, 'gateway joined the discovery view');
        this.emitSafely(c.kind === 'up' ? 'gateway-up' : 'gateway-update', c.gateway);
      }
    }
  }

  /** A listener's exception must not break the watch loop. */
  private emitSafely<E extends keyof DiscoveryBackendEvents>(event: E, ...args: DiscoveryBackendEvents[E]): void {
    try {
      (this.emit as (e: E, ...a: DiscoveryBackendEvents[E]) => boolean)(event, ...args);
    } catch (err) {
      this.log.error({ err, event }, 'a discovery listener threw');
    }
  }
}
