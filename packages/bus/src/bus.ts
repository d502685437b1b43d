import type { Logger } from '@gateworker/protocol/node';
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
 */
export class Bus {
  private readonly options: ResolvedBusOptions;
  private readonly log: Logger;
  private readonly bridges: Bridge[] = [];
  private started = false;
  private closing: Promise<void> | null = null;

  constructor(options: BusOptions) {
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

  /** Unsubscribes and disconnects; idempotent. */
  close(): Promise<void> {
    this.closing ??= Promise.all(this.bridges.map((b) => b.close())).then(() => undefined);
    return this.closing;
  }

  destroy(): void {
    for (const b of this.bridges) b.destroy();
  }
}
