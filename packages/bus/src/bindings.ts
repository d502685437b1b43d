import type { Logger } from '@gateworker/protocol/node';
import type { Channel } from 'amqplib';

/**
 * Routing mode: keeps a gateway queue's bindings equal to the routing keys its clients hold.
 * `change()` records membership transitions as they happen (cheap: a Set update); the bindings
 * follow in batches, every `delayMs` or at once past `batchMax` pending changes, one flush at a
 * time so a key bound then unbound is applied in that order. While detached (no broker) only the
 * wanted set is kept; `attach()` to a new queue binds every wanted key.
 */
export class BindingSync {
  /** Keys the queue should be bound with now (fixed keys included). */
  private readonly wanted = new Set<string>();
  /** Keys bound on the current queue. */
  private bound = new Set<string>();
  /** Keys whose wanted state changed since the last flush. */
  private readonly dirty = new Set<string>();
  private target: { channel: Channel; queue: string } | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** The flush under way (flushes run one after another). */
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly exchange: string,
    fixedKeys: readonly string[],
    private readonly delayMs: number,
    private readonly batchMax: number,
    private readonly log: Logger,
  ) {
    for (const k of fixedKeys) this.wanted.add(k);
  }

  /** Keys bound on the current queue. */
  get boundCount(): number {
    return this.bound.size;
  }

  change(key: string, present: boolean): void {
    if (present) this.wanted.add(key);
    else this.wanted.delete(key);
    if (this.target === null) return;
    this.dirty.add(key);
    if (this.dirty.size >= this.batchMax) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.delayMs);
  }

  /** A new queue on a new channel: binds every wanted key; resolves when all are bound. */
  async attach(channel: Channel, queue: string): Promise<void> {
    this.target = { channel, queue };
    this.bound = new Set();
    for (const k of this.wanted) this.dirty.add(k);
    await this.flush();
  }

  /** The channel is gone (its exclusive queue and bindings with it). */
  detach(): void {
    this.target = null;
    this.bound = new Set();
    this.dirty.clear();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  flush(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.flushing = this.flushing.then(() => this.flushOnce());
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    const target = this.target;
    if (target === null || this.dirty.size === 0) return;
    const keys = [...this.dirty];
    this.dirty.clear();
    const ops: Promise<unknown>[] = [];
    for (const key of keys) {
      const want = this.wanted.has(key);
      if (want && !this.bound.has(key)) {
        ops.push(target.channel.bindQueue(target.queue, this.exchange, key).then(() => target === this.target && this.bound.add(key)));
      } else if (!want && this.bound.has(key)) {
        ops.push(target.channel.unbindQueue(target.queue, this.exchange, key).then(() => target === this.target && this.bound.delete(key)));
      }
    }
    // amqplib pipelines the channel's RPCs: a batch costs about one round trip, not one per key.
    const results = await Promise.allSettled(ops);
    const failed = results.find((r) => r.status === 'rejected');
    // A failed bind closes the channel; the bridge reconnects and attach() binds everything again.
    if (failed !== undefined) this.log.warn({ err: (failed.reason as Error).message, keys: keys.length }, 'amqp bus: binding change failed');
  }
}
