import type { Logger } from '@gateworker/protocol/node';
import { CloseReasons, FRAMING_KINDS, type Client, type CloseReason } from './client.js';
import type { Counters } from './counters.js';
import type { LogThrottle } from './throttle.js';

/** How long a client's queue may stay above `sendBuffer.maxBytes` before it is judged slow, in milliseconds. */
export const DEFAULT_SLOW_CLIENT_GRACE_MS = 1_000;
/** Within one event-loop turn a client may have up to this many times `sendBuffer.maxBytes` queued (a burst). */
export const SEND_BURST_FACTOR = 8;
/** How often clients over the send bound are looked at again, in milliseconds. */
const SLOW_CHECK_INTERVAL_MS = 250;

export interface OutboundDeps {
  readonly maxBytes: number;
  readonly policy: 'close' | 'drop';
  readonly counters: Counters;
  readonly log: Logger;
  readonly throttle: LogThrottle;
  closeClient(client: Client, why: CloseReason): void;
}

/**
 * Bytes to client sockets, with the per-client send-buffer bound. A broadcast frames the payload
 * once per framing kind and writes that same Buffer to every socket.
 *
 * A socket written to is corked until the end of the event-loop turn (one setImmediate for all
 * of them), so everything a client gets in one turn — several broadcasts from one link read, a
 * reply and a broadcast — leaves in one syscall. The syscall per socket is what a send costs.
 *
 * The bound (`maxBytes`) applies to what stays queued once the kernel has taken what it could:
 * a burst within one turn may queue up to SEND_BURST_FACTOR × maxBytes (so one handler turn that
 * sends a few MiB to fast readers closes nobody); a client whose queue is still above maxBytes
 * DEFAULT_SLOW_CLIENT_GRACE_MS after a flush is slow. Policy 'close' closes it (ws 1008 "slow
 * client" queued behind its backlog; tcp end), 'drop' drops its messages while it is over.
 */
export class Outbound {
  /** Clients whose socket was corked by `write` in this turn, uncorked by `flush`. */
  private corked: Client[] = [];
  private flushScheduled = false;
  private readonly flushNow = (): void => this.flush();
  /** Clients whose queue was above maxBytes after a flush → when that was first seen (ms). */
  private readonly over = new Map<Client, number>();
  private overTimer: NodeJS.Timeout | null = null;
  /** The send-buffer bound and policy (live: see setLimits), and the burst bound derived from it. */
  private maxBytes: number;
  private policy: 'close' | 'drop';
  private burstBytes: number;

  constructor(private readonly deps: OutboundDeps) {
    this.maxBytes = deps.maxBytes;
    this.policy = deps.policy;
    this.burstBytes = deps.maxBytes * SEND_BURST_FACTOR;
  }

  /** A live change of `sendBuffer`: applies from the next write and the next slow-client check. */
  setLimits(maxBytes: number, policy: 'close' | 'drop'): void {
    this.maxBytes = maxBytes;
    this.policy = policy;
    this.burstBytes = maxBytes * SEND_BURST_FACTOR;
  }

  /** One message to one client. */
  send(client: Client, payload: Uint8Array, binary: boolean): void {
    if (!client.isOpen) return;
    this.write(client, client.transport.frame(payload, binary));
  }

  /** One message to many clients; `exclude` holds client numbers to skip. */
  broadcast(clients: Iterable<Client>, payload: Uint8Array, binary: boolean, exclude: ReadonlySet<number> | null): void {
    const frames: (Buffer | undefined)[] = new Array<Buffer | undefined>(FRAMING_KINDS);
    for (const client of clients) {
      if (!client.isOpen || (exclude !== null && exclude.has(client.num))) continue;
      const framing = client.transport.framing;
      let bytes = frames[framing];
      if (bytes === undefined) frames[framing] = bytes = client.transport.frame(payload, binary);
      this.write(client, bytes);
    }
  }

  /** Writes already-framed bytes, applying the send-buffer policy. */
  write(client: Client, bytes: Buffer): boolean {
    const socket = client.socket;
    if (!socket.writable) return false;
    if (socket.writableLength + bytes.length > this.burstBytes || (this.policy === 'drop' && this.over.has(client))) {
      this.overflow(client, bytes.length);
      return false;
    }
    // writableCorked > 0 here means this turn's cork (ws corks and uncorks synchronously).
    if (socket.writableCorked === 0) {
      socket.cork();
      this.corked.push(client);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.flushNow);
      }
    }
    socket.write(bytes);
    const counters = this.deps.counters;
    counters.messagesOut++;
    counters.bytesOut += bytes.length;
    return true;
  }

  /** Uncorks every socket written to since the last flush; notes those the kernel could not take enough from. */
  flush(): void {
    this.flushScheduled = false;
    const clients = this.corked;
    this.corked = [];
    const max = this.maxBytes;
    for (const client of clients) {
      const socket = client.socket;
      socket.uncork();
      if (socket.writableLength > max && !this.over.has(client)) this.markOver(client);
    }
  }

  /** Stops the slow-client timer (gateway shutdown). */
  stop(): void {
    if (this.overTimer !== null) clearInterval(this.overTimer);
    this.overTimer = null;
    this.over.clear();
  }

  private markOver(client: Client): void {
    this.over.set(client, Date.now());
    if (this.overTimer === null) {
      this.overTimer = setInterval(() => this.checkOver(), SLOW_CHECK_INTERVAL_MS);
      this.overTimer.unref();
    }
  }

  /** Clients that drained below the bound are forgiven; those still above it after the grace are slow. */
  private checkOver(): void {
    const now = Date.now();
    for (const [client, since] of this.over) {
      if (!client.isOpen || client.socket.writableLength <= this.maxBytes) {
        this.over.delete(client);
      } else if (this.policy === 'close' && now - since >= DEFAULT_SLOW_CLIENT_GRACE_MS) {
        this.over.delete(client);
        this.overflow(client, 0);
      }
    }
    if (this.over.size === 0 && this.overTimer !== null) {
      clearInterval(this.overTimer);
      this.overTimer = null;
    }
  }

  private overflow(client: Client, bytes: number): void {
    const { counters, throttle } = this.deps;
    const info = { client: client.num, queuedBytes: client.socket.writableLength, messageBytes: bytes, maxBytes: this.maxBytes };
    if (this.policy === 'drop') {
      counters.slowClientDrops++;
      throttle.warn('slow-drop', info, 'slow client: send buffer full, message dropped');
    } else {
      if (!client.isOpen) return;
      counters.slowClientCloses++;
      throttle.warn('slow-close', info, 'slow client: send buffer full, closing it');
      this.deps.closeClient(client, CloseReasons.SlowClient);
    }
  }
}
