import type { Client } from './client.js';

/**
 * Client heartbeats with one timer for all clients (no per-client timers). Every sweep:
 * a client silent for more than `timeoutMs` is dead; a ws client silent for half an interval
 * or more gets a ping (its pong, like any data, refreshes `lastSeenMs`). TCP clients have no
 * ping: silence alone closes them.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
    private readonly clients: () => Iterable<Client>,
    private readonly onDead: (client: Client, silentMs: number) => void,
  ) {}

  /** Sweep period: often enough that a dead client is found within about timeoutMs + period. */
  get periodMs(): number {
    return Math.max(1, Math.min(this.intervalMs, Math.ceil(this.timeoutMs / 2)));
  }

  start(): void {
    if (this.intervalMs === 0 || this.timer !== null) return;
    this.timer = setInterval(() => this.sweep(Date.now()), this.periodMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  sweep(nowMs: number): void {
    const pingAfterMs = this.intervalMs / 2;
    const dead: Client[] = [];
    for (const client of this.clients()) {
      const silent = nowMs - client.lastSeenMs;
      if (silent > this.timeoutMs) dead.push(client);
      else if (silent >= pingAfterMs && client.isOpen) client.transport.ping(client);
    }
    for (const client of dead) this.onDead(client, nowMs - client.lastSeenMs);
  }
}
