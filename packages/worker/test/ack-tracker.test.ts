import { describe, expect, it } from 'vitest';
import { AckTracker } from '../src/ack-tracker.js';

function receive(t: AckTracker, from: number, to: number): void {
  for (let s = from; s !== ((to + 1) >>> 0); s = (s + 1) >>> 0) t.receive(s);
}

describe('AckTracker', () => {
  it('acknowledges in-order finishes one by one', () => {
    const t = new AckTracker();
    receive(t, 1, 3);
    expect(t.takeAck()).toBe(null);
    t.finish(1);
    expect(t.takeAck()).toBe(1);
    expect(t.takeAck()).toBe(null);
    t.finish(2);
    t.finish(3);
    expect(t.takeAck()).toBe(3);
    expect(t.settled).toBe(true);
  });

  it('acknowledges only the highest contiguous finished sequence', () => {
    const t = new AckTracker();
    receive(t, 1, 5);
    t.finish(2);
    t.finish(4);
    expect(t.highest).toBe(0);
    expect(t.ackDue).toBe(false);
    expect(t.outstanding).toBe(3);
    t.finish(1);
    expect(t.takeAck()).toBe(2);
    t.finish(3);
    expect(t.highest).toBe(4);
    expect(t.settled).toBe(false);
    t.finish(5);
    expect(t.takeAck()).toBe(5);
    expect(t.outstanding).toBe(0);
    expect(t.settled).toBe(true);
  });

  it('wraps around 2^32', () => {
    const t = new AckTracker();
    const start = 2 ** 32 - 2;
    t.receive(start);
    t.receive(2 ** 32 - 1);
    t.receive(0);
    t.receive(1);
    t.finish(0);
    t.finish(2 ** 32 - 1);
    expect(t.highest).toBe(start - 1);
    t.finish(start);
    expect(t.takeAck()).toBe(0);
    t.finish(1);
    expect(t.takeAck()).toBe(1);
    expect(t.settled).toBe(true);
  });

  it('is settled with nothing received', () => {
    const t = new AckTracker();
    expect(t.settled).toBe(true);
    expect(t.outstanding).toBe(0);
  });

  it('survives a random finishing order', () => {
    const t = new AckTracker();
    const n = 1000;
    receive(t, 1, n);
    const order = Array.from({ length: n }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
    let lastAck = 0;
    for (const seq of order) {
      t.finish(seq);
      const ack = t.takeAck();
      if (ack !== null) {
        expect(ack).toBeGreaterThan(lastAck);
        // every sequence up to the ack is finished
        for (let s = lastAck + 1; s <= ack; s++) expect(order.indexOf(s)).toBeLessThanOrEqual(order.indexOf(seq));
        lastAck = ack;
      }
    }
    expect(lastAck).toBe(n);
  });
});
