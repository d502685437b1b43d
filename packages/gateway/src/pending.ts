import type { Client } from './client.js';

/**
 * Client events waiting in the gateway: no usable worker, the client's in-flight events are on a
 * draining link, or its link's flow-control window is full. Each client keeps its own queue
 * (`client.held`, oldest first) so per-client order is trivial; this tracks the totals (events
 * and bytes) against the bounds and which clients are waiting, in the order they started waiting.
 */
export class PendingEvents {
  /** Events held over all clients. */
  count = 0;
  /** Bytes of the held event frames. */
  bytes = 0;
  private readonly waiting = new Set<Client>();

  constructor(
    /** Bound on `count` for new events (redelivered events and ClientClose may exceed it). Live: a lower bound keeps what is held. */
    public max: number,
    /** Bound on `bytes` for new events (same exceptions). Live, like `max`. */
    public maxBytes: number,
  ) {}

  get full(): boolean {
    return this.count >= this.max || this.bytes >= this.maxBytes;
  }

  get clientCount(): number {
    return this.waiting.size;
  }

  append(client: Client, frame: Buffer): void {
    if (client.held === null) client.held = [frame];
    else client.held.push(frame);
    this.count++;
    this.bytes += frame.length;
    this.waiting.add(client);
  }

  /** Puts `frames` before the client's held events (redelivery of older, unacknowledged ones). */
  prepend(client: Client, frames: Buffer[]): void {
    client.held = client.held === null ? frames : frames.concat(client.held);
    this.count += frames.length;
    for (const f of frames) this.bytes += f.length;
    this.waiting.add(client);
  }

  /** The client's oldest held event, or undefined. */
  peek(client: Client): Buffer | undefined {
    return client.held?.[0];
  }

  /** Removes the first `n` held events of the client (n ≥ 1, at most what it holds) and returns them. */
  takeFirst(client: Client, n: number): Buffer[] {
    const held = client.held as Buffer[];
    let taken: Buffer[];
    if (n >= held.length) {
      taken = held;
      client.held = null;
      this.waiting.delete(client);
    } else {
      taken = held.splice(0, n);
    }
    this.count -= taken.length;
    for (const f of taken) this.bytes -= f.length;
    return taken;
  }

  /** Removes and returns every held event of the client, or null. */
  take(client: Client): Buffer[] | null {
    const held = client.held;
    if (held === null) return null;
    return this.takeFirst(client, held.length);
  }

  /** Waiting clients, oldest first. Safe to `take` while iterating. */
  clients(): IterableIterator<Client> {
    return this.waiting.values();
  }

  /** Drops everything (shutdown with no worker). Returns how many events were dropped. */
  clear(): number {
    const dropped = this.count;
    for (const c of this.waiting) c.held = null;
    this.waiting.clear();
    this.count = 0;
    this.bytes = 0;
    return dropped;
  }
}
