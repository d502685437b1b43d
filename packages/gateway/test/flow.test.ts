import { once } from 'node:events';
import { Op } from '@gateworker/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/index.js';
import { FakeWorker, startGateway, urls } from './helpers.js';
import { connectWs, type WsClient } from '../../../test/helpers/clients.js';
import { eventually, within } from '../../../test/helpers/wait.js';

// Per-event acknowledgements, the per-link window, byte bounds on held events, and poison
// quarantine (issue 9, items 1–4), against scripted workers over real links.

describe('event flow', () => {
  let gateway: Gateway | null = null;
  const clients: WsClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.ws.terminate();
    await gateway?.close();
    gateway = null;
  });

  async function client(): Promise<WsClient> {
    const c = await connectWs(urls(gateway as Gateway).ws);
    clients.push(c);
    return c;
  }

  async function kill(w: FakeWorker): Promise<void> {
    const lost = once(gateway as Gateway, 'link-closed');
    w.link.destroy();
    await within(lost, 5_000, 'link-closed');
  }

  it('acknowledges per event: after a crash only the unfinished event is redelivered', async () => {
    gateway = await startGateway();
    const w1 = await FakeWorker.connect(gateway, { autoAck: false, workerId: 'w1' });
    const [a, b, c] = [await client(), await client(), await client()];
    const connects = [await w1.event(Op.ClientConnect), await w1.event(Op.ClientConnect), await w1.event(Op.ClientConnect)];
    w1.ackEach(...connects.map((e) => e.seq));
    a.ws.send('hung');
    b.ws.send('b');
    c.ws.send('c');
    const events = [await w1.event(Op.ClientMessage), await w1.event(Op.ClientMessage), await w1.event(Op.ClientMessage)];
    const hung = events.find((e) => e.payload.toString() === 'hung')!;
    // Everything but the hung event finishes (acknowledged out of order).
    w1.ackEach(
      ...events
        .filter((e) => e !== hung)
        .map((e) => e.seq)
        .reverse(),
    );
    await eventually(
      () => (gateway as Gateway).stats().pending === 0 && (gateway as Gateway).counters()['redeliveredEvents'] === 0,
      5_000,
      'acks applied',
    );
    const w2 = await FakeWorker.connect(gateway, { autoAck: true, workerId: 'w2' });
    await kill(w1);
    const again = await w2.event(Op.ClientMessage);
    expect(again.payload.toString()).toBe('hung');
    expect(gateway.counters()['redeliveredEvents']).toBe(1);
    b.ws.send('b2');
    expect((await w2.event(Op.ClientMessage)).payload.toString()).toBe('b2');
    expect(w2.inbox.pending.filter((m) => m.op === Op.ClientMessage)).toHaveLength(0);
  });

  it('keeps at most linkWindow events unacknowledged on a link; the rest flow in order as acks come', async () => {
    gateway = await startGateway({ linkWindow: { events: 4, bytes: 1024 * 1024 } });
    const w = await FakeWorker.connect(gateway, { autoAck: false });
    const c = await client();
    for (let i = 0; i < 20; i++) c.ws.send(`m${i}`);
    const connect = await w.event(Op.ClientConnect);
    const first = [await w.event(Op.ClientMessage), await w.event(Op.ClientMessage), await w.event(Op.ClientMessage)];
    await eventually(() => (gateway as Gateway).stats().pending === 17, 5_000, 'the rest held');
    expect(w.inbox.pending.filter((m) => m.op === Op.ClientMessage)).toHaveLength(0);
    expect(gateway.counters()['eventsHeld']).toBeGreaterThanOrEqual(17);
    w.autoAck = true;
    w.ackEach(connect.seq, ...first.map((e) => e.seq));
    const rest = [];
    for (let i = 3; i < 20; i++) rest.push((await w.event(Op.ClientMessage)).payload.toString());
    expect([...first.map((e) => e.payload.toString()), ...rest]).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
  });

  it('bounds held events in bytes: past pendingEvents.maxBytes the policy applies and is counted', async () => {
    gateway = await startGateway({ pendingEvents: { maxBytes: 10_000 } });
    const c = await client();
    const big = 'x'.repeat(4000);
    for (let i = 0; i < 5; i++) c.ws.send(`${i}${big}`);
    await eventually(() => (gateway as Gateway).counters()['eventsDroppedNoWorker'] === 2, 5_000, 'two dropped');
    const w = await FakeWorker.connect(gateway, { autoAck: true });
    await w.event(Op.ClientConnect);
    const got = [await w.event(Op.ClientMessage), await w.event(Op.ClientMessage), await w.event(Op.ClientMessage)];
    expect(got.map((e) => e.payload.toString()[0])).toEqual(['0', '1', '2']);
  });

  it('quarantines an event that ended maxDeliveries workers; a bystander is redelivered without blame', async () => {
    gateway = await startGateway({ poison: { maxDeliveries: 2 } });
    const w1 = await FakeWorker.connect(gateway, { autoAck: false, workerId: 'w1' });
    const [x, y] = [await client(), await client()];
    w1.ackEach((await w1.event(Op.ClientConnect)).seq, (await w1.event(Op.ClientConnect)).seq);
    x.ws.send('poison');
    await w1.event(Op.ClientMessage);
    y.ws.send('y1');
    await w1.event(Op.ClientMessage);
    const w2 = await FakeWorker.connect(gateway, { autoAck: false, workerId: 'w2' });
    await kill(w1); // both blamed once: they were running when w1 died
    // Suspects go one per link: the poison first, y1 waits for it.
    expect((await w2.event(Op.ClientMessage)).payload.toString()).toBe('poison');
    expect(w2.inbox.pending.filter((m) => m.op === Op.ClientMessage)).toHaveLength(0);
    const w3 = await FakeWorker.connect(gateway, { autoAck: true, workerId: 'w3' });
    await kill(w2); // only the suspect in flight is blamed: the poison reaches 2
    const poisoned = await w3.next(Op.ClientPoison);
    expect(poisoned).toMatchObject({ event: 'message', deliveries: 2, binary: false });
    expect(poisoned.payload.toString()).toBe('poison');
    expect((await w3.event(Op.ClientMessage)).payload.toString()).toBe('y1');
    expect(gateway.counters()).toMatchObject({ poisonEvents: 1, poisonCloses: 0 });
    // Both clients carry on.
    x.ws.send('x2');
    y.ws.send('y2');
    const later = [await w3.event(Op.ClientMessage), await w3.event(Op.ClientMessage)].map((e) => e.payload.toString()).sort();
    expect(later).toEqual(['x2', 'y2']);
  });

  it('poisonPolicy close: the client is closed with 1011 once onPoison has run', async () => {
    gateway = await startGateway({ poison: { maxDeliveries: 1, policy: 'close' } });
    const w1 = await FakeWorker.connect(gateway, { autoAck: false, workerId: 'w1' });
    const x = await client();
    w1.ackEach((await w1.event(Op.ClientConnect)).seq);
    x.ws.send('poison');
    await w1.event(Op.ClientMessage);
    const w2 = await FakeWorker.connect(gateway, { autoAck: false, workerId: 'w2' });
    await kill(w1);
    const poisoned = await w2.next(Op.ClientPoison);
    expect(x.ws.readyState).toBe(x.ws.OPEN);
    w2.ackEach(poisoned.seq);
    expect((await within(x.closed, 5_000, 'client close')).code).toBe(1011);
    expect(gateway.counters()).toMatchObject({ poisonEvents: 1, poisonCloses: 1 });
  });

  it('does not count a link lost to a heartbeat timeout or a drain as a worker death', async () => {
    gateway = await startGateway({ poison: { maxDeliveries: 1 } });
    const w1 = await FakeWorker.connect(gateway, { autoAck: false, workerId: 'w1' });
    const x = await client();
    w1.ackEach((await w1.event(Op.ClientConnect)).seq);
    x.ws.send('slow');
    await w1.event(Op.ClientMessage);
    w1.send({ op: Op.Drain });
    await w1.next(Op.DrainAck);
    const w2 = await FakeWorker.connect(gateway, { autoAck: true, workerId: 'w2' });
    await kill(w1); // a draining worker that closes: not a death, so maxDeliveries 1 is not reached
    expect((await w2.event(Op.ClientMessage)).payload.toString()).toBe('slow');
    expect(gateway.counters()['poisonEvents']).toBe(0);
  });
});
