import { MAX_ACK_RANGES } from '@gateworker/protocol';
import { describe, expect, it } from 'vitest';
import { AckTracker } from '../src/ack-tracker.js';

function receive(t: AckTracker, from: number, to: number): void {
  for (let s = from; s !== (to + 1) >>> 0; s = (s + 1) >>> 0) t.receive(s);
}

/** Expands flat inclusive ranges into sequence numbers. */
function expand(ranges: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < ranges.length; i += 2) for (let s = ranges[i] as number; s <= (ranges[i + 1] as number); s++) out.push(s);
  return out;
}

describe('AckTracker', () => {
  it('acknowledges in-order finishes as one range per flush', () => {
    const t = new AckTracker();
    receive(t, 1, 3);
    expect(t.takeRanges()).toBe(null);
    t.finish(1);
    expect(t.takeRanges()).toEqual([1, 1]);
    expect(t.takeRanges()).toBe(null);
    t.finish(2);
    t.finish(3);
    expect(t.takeRanges()).toEqual([2, 3]);
    expect(t.settled).toBe(true);
  });

  it('acknowledges each finished event on its own: an unfinished one holds back nothing else', () => {
    const t = new AckTracker();
    receive(t, 1, 5);
    t.finish(2);
    t.finish(5);
    t.finish(4);
    expect(t.outstanding).toBe(2);
    expect(t.ackDue).toBe(true);
    expect(t.takeRanges()).toEqual([2, 2, 4, 5]);
    expect(t.settled).toBe(false);
    t.finish(3);
    t.finish(1);
    expect(t.takeRanges()).toEqual([1, 1, 3, 3]);
    expect(t.outstanding).toBe(0);
    expect(t.settled).toBe(true);
  });

  it('splits a run at the u32 wrap', () => {
    const t = new AckTracker();
    for (const s of [2 ** 32 - 2, 2 ** 32 - 1, 0, 1]) {
      t.receive(s);
      t.finish(s);
    }
    expect(t.takeRanges()).toEqual([0, 1, 2 ** 32 - 2, 2 ** 32 - 1]);
    expect(t.settled).toBe(true);
  });

  it('is settled with nothing received', () => {
    const t = new AckTracker();
    expect(t.settled).toBe(true);
    expect(t.outstanding).toBe(0);
  });

  it('caps one acknowledgement at MAX_ACK_RANGES ranges and keeps the rest due', () => {
    const t = new AckTracker();
    const n = MAX_ACK_RANGES + 10;
    for (let i = 0; i < n; i++) {
      t.receive(i * 2 + 1);
      t.finish(i * 2 + 1);
    }
    expect(t.takeRanges()).toHaveLength(MAX_ACK_RANGES * 2);
    expect(t.takeRanges()).toHaveLength(20);
    expect(t.settled).toBe(true);
  });

  it('survives a random finishing order: every finished event is acknowledged exactly once', () => {
    const t = new AckTracker();
    const n = 1000;
    receive(t, 1, n);
    const order = Array.from({ length: n }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
    const acked: number[] = [];
    for (const seq of order) {
      t.finish(seq);
      if (Math.random() < 0.3) acked.push(...expand(t.takeRanges() ?? []));
    }
    acked.push(...expand(t.takeRanges() ?? []));
    expect(acked.sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(t.settled).toBe(true);
  });
});
