import type { Client } from './client.js';

/**
 * Client events waiting in the gateway: no usable worker, or the client's in-flight events are on
 * a draining link. Each client keeps its own queue (`client.held`, oldest first) so per-client
 * order is trivial; this tracks the total against the bound and which clients are waiting, in
 * the order they started waiting.
 */
export class PendingEvents {
  /** Events held over all clients. */
  count = 0;
  private readonly waiting = new Set<Client>();

  constructor(
    /** Bound on `count` for new events (redelivered events and ClientClose may exceed it). */
    readonly max: number,
  ) {}

  get full(): boolean {
    return this.count >= this.max;
  }

  get clientCount(): number {
    return this.waiting.size;
  }

  append(client: Client, frame: Buffer): void {
    if (client.held === null) client.held = [frame];
    else client.held.push(frame);
    this.count++;
    this.waiting.add(client);
  }

  /** Puts `frames` before the client's held events (redelivery of older, unacknowledged ones). */
  prepend(client: Client, frames: Buffer[]): void {
    client.held = client.held === null ? frames : frames.concat(client.held);
    this.count += frames.length;
    this.waiting.add(client);
  }

  /** Removes and returns the client's held events, or null. */
  take(client: Client): Buffer[] | null {
    const held = client.held;
    if (held === null) return null;
    client.held = null;
    this.count -= held.length;
    this.waiting.delete(client);
    return held;
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
    return dropped;
  }
}
