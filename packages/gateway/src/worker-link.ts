import type { PeerRole } from '@gateworker/protocol';
import type { Link } from '@gateworker/protocol/node';
import type { Client } from './client.js';
import type { SenderStream } from './command-streams.js';
import type { RoutableLink } from './router.js';

/** Unacknowledged events one worker link may carry, in events. */
export const DEFAULT_LINK_WINDOW_EVENTS = 8192;
/** Unacknowledged event bytes one worker link may carry, in bytes (one larger event still goes alone). */
export const DEFAULT_LINK_WINDOW_BYTES = 8 * 1024 * 1024;

export interface LinkWindow {
  readonly events: number;
  readonly bytes: number;
}

/** One event sent on a link and not yet acknowledged. */
export class SentEvent {
  constructor(
    readonly seq: number,
    /** The encoded frame, kept for redelivery. */
    readonly frame: Buffer,
    readonly client: Client,
    /** Worker deaths this event was in flight for (poison accounting). */
    readonly deaths: number,
  ) {}
}

/** Result of an acknowledgement. */
export const AckResult = { Ok: 0, Stale: 1, Invalid: 2 } as const;
export type AckResult = (typeof AckResult)[keyof typeof AckResult];

const HALF_RANGE = 2 ** 31;

/**
 * One authenticated internal link (a worker, or a GatewayClient that only sends commands and
 * queries), with the event-delivery state of the "Gateway ⇄ worker" contract: per-link sequence
 * numbers, the unacknowledged events (acknowledged one by one, in any order), the flow-control
 * window, and the ready / draining flags.
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
  /** Clients whose events go to this link (sticky routing's load; see Router). */
  clients = 0;
  /** The peer opened a command stream on this link (StreamResume): its stream ops are counted. */
  streaming = false;
  /** Its sender's stream state while this link is the sender's current one (null once superseded). */
  stream: SenderStream | null = null;
  /** Number the next stream op on this link carries. */
  streamNext = 0;
  /** A StreamAck for this link is queued for the end of the turn. */
  ackQueued = false;
  /** Bytes of the unacknowledged event frames. */
  unackedBytes = 0;
  /**
   * Reserved for probing suspects (events blamed for a worker death): takes no new events, and a
   * suspect is sent only when nothing else is in flight here, so if this worker dies then, the
   * suspect alone is to blame.
   */
  probing = false;
  /** The suspect in flight here (alone), or null. */
  suspect: SentEvent | null = null;
  /** Sequence number of the next event sent (u32, wraps). */
  private nextSeq = 1;
  /** Unacknowledged events by sequence number; insertion order is sequence order. */
  private readonly sent = new Map<number, SentEvent>();

  constructor(
    /** Gateway-local link id (1, 2, …), also the session holder id. */
    readonly id: number,
    readonly link: Link,
    readonly role: PeerRole,
    readonly peerNodeId: string,
    /** Flow control: at most this much unacknowledged on the link. */
    readonly window: LinkWindow = { events: DEFAULT_LINK_WINDOW_EVENTS, bytes: DEFAULT_LINK_WINDOW_BYTES },
  ) {}

  get routable(): boolean {
    return this.ready && !this.draining && !this.closed;
  }

  get unacked(): number {
    return this.sent.size;
  }

  /** The window has room for another event (an empty window always has: one event larger than it still goes). */
  get hasRoom(): boolean {
    return !this.probing && this.sent.size < this.window.events && this.unackedBytes < this.window.bytes;
  }

  /** The sequence number the next event must carry; call `pushEvent` with its frame right after. */
  peekSeq(): number {
    return this.nextSeq;
  }

  /** Sends an event frame encoded with `peekSeq()` and keeps it until acknowledged. */
  pushEvent(frame: Buffer, client: Client, deaths = 0): SentEvent {
    const seq = this.nextSeq;
    this.nextSeq = (seq + 1) >>> 0;
    const event = new SentEvent(seq, frame, client, deaths);
    this.sent.set(seq, event);
    this.unackedBytes += frame.length;
    this.link.sendFrame(frame);
    return event;
  }

  /** True when `seq` was handed out on this link (at most 2^31 back). */
  private wasSent(seq: number): boolean {
    const back = (this.nextSeq - seq) >>> 0;
    return back >= 1 && back <= HALF_RANGE;
  }

  /**
   * Every event in the inclusive range first..last (u32, may wrap) is finished: calls `onAcked`
   * for each one still unacknowledged. Events acknowledged before are ignored (Stale when none
   * was new); Invalid when the range reaches events never sent.
   */
  ackRange(first: number, last: number, onAcked: (event: SentEvent) => void): AckResult {
    const span = ((last - first) >>> 0) + 1;
    if (span > HALF_RANGE || !this.wasSent(first) || !this.wasSent(last) || (this.nextSeq - first) >>> 0 < (this.nextSeq - last) >>> 0) {
      return AckResult.Invalid;
    }
    let acked = 0;
    if (span <= this.sent.size) {
      for (let i = 0, seq = first; i < span; i++, seq = (seq + 1) >>> 0) {
        const event = this.sent.get(seq);
        if (event === undefined) continue;
        this.remove(event);
        acked++;
        onAcked(event);
      }
    } else {
      for (const event of this.sent.values()) {
        if ((event.seq - first) >>> 0 >= span) continue;
        this.remove(event);
        acked++;
        onAcked(event);
      }
    }
    return acked > 0 ? AckResult.Ok : AckResult.Stale;
  }

  /** Cumulative acknowledgement (Ack): every event with sequence ≤ seq is finished. */
  ackUpTo(seq: number, onAcked: (event: SentEvent) => void): AckResult {
    if (!this.wasSent(seq)) return AckResult.Invalid;
    let acked = 0;
    for (const event of this.sent.values()) {
      if ((seq - event.seq) >>> 0 >= HALF_RANGE) break;
      this.remove(event);
      acked++;
      onAcked(event);
    }
    return acked > 0 ? AckResult.Ok : AckResult.Stale;
  }

  /** On link loss: every unacknowledged event, in sequence order, for redelivery. */
  takeUnacked(): SentEvent[] {
    const events = [...this.sent.values()];
    this.sent.clear();
    this.suspect = null;
    this.unackedBytes = 0;
    return events;
  }

  private remove(event: SentEvent): void {
    if (event === this.suspect) this.suspect = null;
    this.sent.delete(event.seq);
    this.unackedBytes -= event.frame.length;
  }
}
