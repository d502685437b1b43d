import type { PeerRole } from '@gateworker/protocol';
import type { Link } from '@gateworker/protocol/node';
import type { Client } from './client.js';
import type { SenderStream } from './command-streams.js';
import type { RoutableLink } from './router.js';

/**
 * Events sent on a link and not yet acknowledged, oldest first: the encoded frames (kept for
 * redelivery) and their clients. Sequence numbers are contiguous, so only the count is needed to
 * know the head's sequence.
 */
class UnackedQueue {
  private frames: (Buffer | undefined)[] = [];
  private clients: (Client | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.frames.length - this.head;
  }

  push(frame: Buffer, client: Client): void {
    this.frames.push(frame);
    this.clients.push(client);
  }

  shift(): Client {
    const client = this.clients[this.head] as Client;
    this.frames[this.head] = undefined;
    this.clients[this.head] = undefined;
    this.head++;
    if (this.head === this.frames.length) {
      this.frames = [];
      this.clients = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.frames.length) {
      this.frames = this.frames.slice(this.head);
      this.clients = this.clients.slice(this.head);
      this.head = 0;
    }
    return client;
  }

  /** Empties the queue, returning its entries in order. */
  drainAll(): { frames: Buffer[]; clients: Client[] } {
    const frames = this.frames.slice(this.head) as Buffer[];
    const clients = this.clients.slice(this.head) as Client[];
    this.frames = [];
    this.clients = [];
    this.head = 0;
    return { frames, clients };
  }
}

/** Result of an Ack. */
export const AckResult = { Ok: 0, Stale: 1, Invalid: 2 } as const;
export type AckResult = (typeof AckResult)[keyof typeof AckResult];

/**
 * One authenticated internal link (a worker, or a GatewayClient that only sends commands and
 * queries), with the event-delivery state of the "Gateway ⇄ worker" contract: per-link sequence
 * numbers, the queue of unacknowledged events, and the ready / draining flags.
 */
export class WorkerLink implements RoutableLink {
  /** Worker id from WorkerReady; null until then (and always for a GatewayClient). */
  workerId: string | null = null;
  /** WorkerReady received: events may be routed here. */
  ready = false;
  /** Drain received: no new events; in-flight ones still get acknowledged. */
  draining = false;
  /** The socket is gone; unacknowledged events were handed elsewhere. */
  closed = false;
  /** The peer opened a command stream on this link (StreamResume): its stream ops are counted. */
  streaming = false;
  /** Its sender's stream state while this link is the sender's current one (null once superseded). */
  stream: SenderStream | null = null;
  /** Number the next stream op on this link carries. */
  streamNext = 0;
  /** A StreamAck for this link is queued for the end of the turn. */
  ackQueued = false;
  /** Sequence number of the next event sent (u32, wraps). */
  private nextSeq = 1;
  private readonly queue = new UnackedQueue();

  constructor(
    /** Gateway-local link id (1, 2, …), also the session holder id. */
    readonly id: number,
    readonly link: Link,
    readonly role: PeerRole,
    readonly peerNodeId: string,
  ) {}

  get routable(): boolean {
    return this.ready && !this.draining && !this.closed;
  }

  get unacked(): number {
    return this.queue.length;
  }

  /** The sequence number the next event must carry; call `pushEvent` with its frame right after. */
  peekSeq(): number {
    return this.nextSeq;
  }

  /** Sends an event frame encoded with `peekSeq()` and keeps it until acknowledged. */
  pushEvent(frame: Buffer, client: Client): void {
    this.nextSeq = (this.nextSeq + 1) >>> 0;
    this.queue.push(frame, client);
    this.link.sendFrame(frame);
  }

  /**
   * Every event with sequence ≤ seq is finished: calls `onAcked` for each, oldest first.
   * Stale: an ack at or below one already seen (ignored). Invalid: it acknowledges an event never sent.
   */
  ack(seq: number, onAcked: (client: Client) => void): AckResult {
    const count = this.queue.length;
    const headSeq = (this.nextSeq - count) >>> 0;
    const covered = ((seq - headSeq) >>> 0) + 1;
    if (covered > 2 ** 31) return AckResult.Stale;
    if (covered > count) return AckResult.Invalid;
    for (let i = 0; i < covered; i++) onAcked(this.queue.shift());
    return AckResult.Ok;
  }

  /** On link loss: every unacknowledged event, in order, for redelivery. */
  takeUnacked(): { frames: Buffer[]; clients: Client[] } {
    return this.queue.drainAll();
  }
}
