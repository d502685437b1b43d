/**
 * Acknowledgement bookkeeping for one link (pure, no I/O).
 *
 * The gateway numbers the events of a link 1, 2, 3, … (u32, wrapping after 2^32−1 to 0). Events
 * of different clients finish out of order; an Ack names the highest sequence number up to which
 * every event is finished. Invariants: `contiguous` is that number (0 before anything finished);
 * `ahead` holds finished sequence numbers above `contiguous + 1`, and is empty whenever events
 * finish in arrival order (the common case), so the fast path allocates nothing.
 */
export class AckTracker {
  /** Highest sequence number up to which every received event is finished. */
  private contiguous = 0;
  /** Finished sequence numbers not yet reachable from `contiguous`. */
  private readonly ahead = new Set<number>();
  /** The last sequence number received. */
  private lastReceived = 0;
  /** The last sequence number acknowledged to the peer. */
  private lastAcked = 0;
  private started = false;

  /** Records an arriving event. Events arrive in sequence order. */
  receive(seq: number): void {
    if (!this.started) {
      // Normally 1; anything else (a gateway that restarted numbering) starts the count there.
      this.started = true;
      this.contiguous = this.lastAcked = (seq - 1) >>> 0;
    }
    this.lastReceived = seq;
  }

  /** Marks one event as finished (its handler settled, its commands written). */
  finish(seq: number): void {
    let next = (this.contiguous + 1) >>> 0;
    if (seq !== next) {
      this.ahead.add(seq);
      return;
    }
    this.contiguous = seq;
    if (this.ahead.size === 0) return;
    next = (seq + 1) >>> 0;
    while (this.ahead.delete(next)) {
      this.contiguous = next;
      next = (next + 1) >>> 0;
    }
  }

  /** Highest contiguous finished sequence number. */
  get highest(): number {
    return this.contiguous;
  }

  /** Events received and not yet finished. */
  get outstanding(): number {
    return ((this.lastReceived - this.contiguous) >>> 0) - this.ahead.size;
  }

  /** True when an Ack would tell the peer something new. */
  get ackDue(): boolean {
    return this.contiguous !== this.lastAcked;
  }

  /** The sequence number to acknowledge now, or null if the peer already knows it. */
  takeAck(): number | null {
    if (this.contiguous === this.lastAcked) return null;
    this.lastAcked = this.contiguous;
    return this.contiguous;
  }

  /** True when every received event is finished and acknowledged. */
  get settled(): boolean {
    return this.contiguous === this.lastReceived && this.lastAcked === this.contiguous;
  }
}
