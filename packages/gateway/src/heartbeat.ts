import type { Client } from './client.js';

/**
 * Client heartbeats with one timer for all clients (no per-client timers, no work per message).
 * A client is alive when its socket read any byte since the previous sweep (a message, a pong,
 * anything). Each sweep: an idle ws client gets a ping (answered by a pong, which counts); a
 * client idle for about `timeoutMs` is dead. TCP clients have no ping: silence alone closes them.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | null = null;
  /** Between start() and stop(): the sweep runs whenever the interval is not 0. */
  private enabled = false;
  /** Idle sweeps after which a client is dead. */
  private deadAfterSweeps: number;

  constructor(
    private intervalMs: number,
    private timeoutMs: number,
    private readonly clients: () => Iterable<Client>,
    private readonly onDead: (client: Client, silentMs: number) => void,
  ) {
    this.deadAfterSweeps = Math.max(2, Math.ceil(timeoutMs / this.periodMs));
  }

  /**
   * A live change of `gateway.heartbeat`: the sweep restarts with the new period (interval 0
   * stops it). Idle counts carry over, so a client already silent is judged by the new timeout.
   */
  configure(intervalMs: number, timeoutMs: number): void {
    this.disarm();
    this.intervalMs = intervalMs;
    this.timeoutMs = timeoutMs;
    this.deadAfterSweeps = Math.max(2, Math.ceil(timeoutMs / this.periodMs));
    this.arm();
  }

  /** Sweep period: at most intervalMs, and at least two sweeps per timeout. */
  get periodMs(): number {
    return Math.max(1, Math.min(this.intervalMs, Math.ceil(this.timeoutMs / 2)));
  }

  start(): void {
    this.enabled = true;
    this.arm();
  }

  stop(): void {
    this.enabled = false;
    this.disarm();
  }

  private arm(): void {
    if (!this.enabled || this.intervalMs === 0 || this.timer !== null) return;
    this.timer = setInterval(() => this.sweep(), this.periodMs);
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  sweep(): void {
    const dead: Client[] = [];
    for (const client of this.clients()) {
      const read = client.socket.bytesRead;
      if (read !== client.seenBytes) {
        client.seenBytes = read;
        client.idleSweeps = 0;
        continue;
      }
      if (++client.idleSweeps >= this.deadAfterSweeps) dead.push(client);
      else if (client.isOpen) client.transport.ping(client);
    }
    // The verdict waits one event-loop turn: after a pause (SIGSTOP, a long GC) this sweep can run
    // before the poll phase has read what the clients sent meanwhile; setImmediate runs after it.
    if (dead.length > 0) setImmediate(() => this.judge(dead));
  }

  private judge(candidates: readonly Client[]): void {
    for (const client of candidates) {
      if (client.socket.bytesRead !== client.seenBytes) {
        client.seenBytes = client.socket.bytesRead;
        client.idleSweeps = 0;
      } else this.onDead(client, client.idleSweeps * this.periodMs);
    }
  }
}
