import { EventEmitter } from 'node:events';
import { Lifecycle, type Logger } from '@gateworker/protocol/node';
import { AmqpBridge } from './amqp-bridge.js';
import { BusError, BusErrorCode } from './errors.js';
import { resolveBusOptions, type BusOptions, type ResolvedBusOptions } from './options.js';
import { RedisBridge } from './redis-bridge.js';
import type { BridgeSnapshot } from './stats.js';

/** The bridges of one gateway process, as stats()/snapshot() report them. */
export interface BusSnapshot {
  bridges: BridgeSnapshot[];
}

interface Bridge {
  start(): void;
  snapshot(): BridgeSnapshot;
  close(): Promise<void>;
  destroy(): void;
}

/**
 * The bus of one gateway process: the configured bridges (Redis pub/sub, AMQP), each subscribing
 * on its own and pushing to this gateway's clients. start() does not wait for any broker: a
 * broker that is down is retried with backoff in the background and never holds up the gateway.
 * close() unsubscribes and disconnects (idempotent), destroy() drops the connections at once;
 * either way `'close'` is emitted once.
 */
export class Bus extends EventEmitter<{ close: [] }> {
  private readonly options: ResolvedBusOptions;
  private readonly log: Logger;
  private readonly bridges: Bridge[] = [];
  private started = false;
  /** close() idempotent, destroy() safe during it, one 'close' event (see Lifecycle). */
  private readonly lifecycle = new Lifecycle(() => this.emit('close'));

  constructor(options: BusOptions) {
    super();
    this.options = resolveBusOptions(options);
    this.log = this.options.logger.child({ component: 'bus' });
    const resolved = { ...this.options, logger: this.log };
    if (this.options.redis !== null) this.bridges.push(new RedisBridge(resolved, this.options.redis));
    if (this.options.amqp !== null) this.bridges.push(new AmqpBridge(resolved, this.options.amqp));
  }

  start(): void {
    if (this.started) throw new BusError(BusErrorCode.AlreadyStarted, 'start() was already called');
    this.started = true;
    for (const b of this.bridges) b.start();
  }

  snapshot(): BusSnapshot {
    return { bridges: this.bridges.map((b) => b.snapshot()) };
  }

  /** Same as snapshot() (the name the other stats sources use). */
  stats(): BusSnapshot {
    return this.snapshot();
  }

  /** Unsubscribes and disconnects; idempotent: every call returns the same promise. */
  close(): Promise<void> {
    return this.lifecycle.close(async () => {
      await Promise.all(this.bridges.map((b) => b.close()));
    });
  }

  /** Drops every broker connection now. Safe during close(), which then resolves. */
  destroy(): void {
    this.lifecycle.destroy(() => {
      for (const b of this.bridges) b.destroy();
    });
  }
}
