import { MAX_ACK_RANGES } from '@gateworker/protocol';

/**
 * Acknowledgement bookkeeping for one link (pure, no I/O).
 *
 * The gateway numbers the events of a link 1, 2, 3, … (u32, wrapping after 2^32−1 to 0). Events
 * of different clients finish in any order, and each is acknowledged on its own (AckRanges), so a
 * slow or hung event holds back nothing but itself: after a drain timeout or a crash the gateway
 * redelivers only what really is unfinished. Finished sequence numbers wait in `due` until the
 * next flush (once per event-loop turn), which turns them into as few ranges as their order
 * allows: in the common case (events finishing in arrival order) one range per flush.
 */
export class AckTracker {
  /** Events received. */
  private received = 0;
  /** Events finished (acknowledged or waiting in `due`). */
  private finished = 0;
  /** Finished sequence numbers not yet acknowledged, in finishing order. */
  private due: number[] = [];

  /** Records an arriving event. */
  receive(_seq: number): void {
    this.received++;
  }

  /** Marks one event as finished (its handler settled, its commands written). */
  finish(seq: number): void {
    this.finished++;
    this.due.push(seq);
  }

  /** Events received and not yet finished. */
  get outstanding(): number {
    return this.received - this.finished;
  }

  /** True when an acknowledgement would tell the peer something new. */
  get ackDue(): boolean {
    return this.due.length > 0;
  }

  /**
   * The finished sequence numbers as flat inclusive ranges `[first, last, …]` (at most
   * MAX_ACK_RANGES ranges; the rest stay due), or null when nothing is due.
   */
  takeRanges(): number[] | null {
    const due = this.due;
    if (due.length === 0) return null;
    let sorted = true;
    for (let i = 1; i < due.length; i++) {
      if ((due[i] as number) < (due[i - 1] as number)) {
        sorted = false;
        break;
      }
    }
    // Numeric order; a range that would cross the u32 wrap simply becomes two ranges.
    if (!sorted) due.sort((a, b) => a - b);
    const ranges: number[] = [];
    let first = due[0] as number;
    let last = first;
    let i = 1;
    for (; i < due.length; i++) {
      const seq = due[i] as number;
      if (seq === last + 1) {
        last = seq;
        continue;
      }
      ranges.push(first, last);
      if (ranges.length === MAX_ACK_RANGES * 2) break;
      first = last = seq;
    }
    if (i === due.length) {
      ranges.push(first, last);
      this.due = [];
    } else {
      this.due = due.slice(i);
    }
    return ranges;
  }

  /** True when every received event is finished and acknowledged. */
  get settled(): boolean {
    return this.received === this.finished && this.due.length === 0;
  }
}
