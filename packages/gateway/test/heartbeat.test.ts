import { describe, expect, it } from 'vitest';
import { ListenerCounters } from '../src/counters.js';
import { Client, Framing, type ClientTransport } from '../src/client.js';
import { Heartbeat } from '../src/heartbeat.js';

function fakeClient(num: number, pings: number[]): { client: Client; socket: { bytesRead: number } } {
  const socket = {
    writableLength: 0,
    writable: true,
    destroyed: false,
    bytesRead: 0,
    writableCorked: 0,
    cork: () => {},
    uncork: () => {},
    write: () => true,
  };
  const transport: ClientTransport = {
    framing: Framing.Ws,
    url: 'x',
    counters: new ListenerCounters(),
    frame: () => Buffer.alloc(0),
    close: () => {},
    ping: (c) => pings.push(c.num),
  };
  return { client: new Client(num, transport, socket), socket };
}

describe('Heartbeat', () => {
  it('pings idle clients and reports them dead after about timeoutMs of silence', async () => {
    const pings: number[] = [];
    const dead: number[] = [];
    const a = fakeClient(1, pings);
    const b = fakeClient(2, pings);
    const hb = new Heartbeat(
      25_000,
      60_000,
      () => [a.client, b.client],
      (c) => dead.push(c.num),
    );
    expect(hb.periodMs).toBe(25_000);
    hb.sweep(); // both idle since accept
    expect(pings).toEqual([1, 2]);
    b.socket.bytesRead = 10; // b answers
    hb.sweep();
    expect(pings).toEqual([1, 2, 1]);
    hb.sweep();
    expect(dead).toEqual([]); // the verdict waits for what the poll phase reads
    await new Promise((resolve) => setImmediate(resolve));
    expect(dead).toEqual([1]); // three silent sweeps = 75 s > 60 s
    expect(pings).toEqual([1, 2, 1, 2]);
  });

  it('spares a client whose bytes are read between the sweep and the verdict (a process resumed after a pause)', async () => {
    const dead: number[] = [];
    const a = fakeClient(1, []);
    const hb = new Heartbeat(
      10,
      20,
      () => [a.client],
      (c) => dead.push(c.num),
    );
    hb.sweep();
    hb.sweep(); // dead after 2 idle sweeps: the verdict is pending
    a.socket.bytesRead = 5; // the poll phase reads what waited
    await new Promise((resolve) => setImmediate(resolve));
    expect(dead).toEqual([]);
  });

  it('sweeps at least twice per timeout', () => {
    expect(
      new Heartbeat(
        25_000,
        10_000,
        () => [],
        () => {},
      ).periodMs,
    ).toBe(5_000);
  });
});
