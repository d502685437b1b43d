import { once } from 'node:events';
import { Op, packValue, unpackValue } from '@gateworker/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/index.js';
import { FakeWorker, roundTrip, startGateway, urls } from './helpers.js';
import { connectWs, connectLine } from '../../../test/helpers/clients.js';
import { eventually, within } from '../../../test/helpers/wait.js';

describe('delivery guarantees', () => {
  let gateway: Gateway | null = null;
  afterEach(async () => {
    await gateway?.close();
    gateway = null;
  });

  it('redelivers unacknowledged events in order, with the session, when a worker link dies', async () => {
    gateway = await startGateway();
    const w1 = await FakeWorker.connect(gateway, { autoAck: false, workerId: 'w1' });
    const client = await connectWs(urls(gateway).ws);
    const connect = await w1.event(Op.ClientConnect);
    w1.ack(connect.seq);
    client.ws.send('a');
    client.ws.send('b');
    expect((await w1.event(Op.ClientMessage)).payload.toString()).toBe('a');
    expect((await w1.event(Op.ClientMessage)).payload.toString()).toBe('b');
    w1.send({ op: Op.SetSession, client: connect.client, session: packValue({ user: 'u1' }) });
    await w1.query(1, 1, { client: connect.client }); // SetSession handled

    const w2 = await FakeWorker.connect(gateway, { autoAck: false, workerId: 'w2' });
    const lost = once(gateway, 'link-closed');
    w1.link.destroy();
    await within(lost, 5_000, 'link-closed');

    // The worker died with both unacknowledged: both are suspects, probed one at a time (each after the previous ack).
    const a = await w2.event(Op.ClientMessage);
    expect(w2.inbox.pending.filter((m) => m.op === Op.ClientMessage)).toHaveLength(0);
    w2.ack(a.seq);
    const b = await w2.event(Op.ClientMessage);
    expect([a.seq, a.payload.toString(), b.seq, b.payload.toString()]).toEqual([1, 'a', 2, 'b']);
    expect(unpackValue(a.session as Uint8Array)).toEqual({ user: 'u1' });
    expect(b.session).toBeNull();
    w2.ack(b.seq);
    client.ws.send('c');
    const c = await w2.event(Op.ClientMessage);
    expect([c.seq, c.payload.toString(), c.session]).toEqual([3, 'c', null]);
    expect(gateway.counters().redeliveredEvents).toBe(2);
    w2.autoAck = true;
    w2.ack(3);
  });

  it('on Drain answers DrainAck and holds a client’s newer events until its in-flight ones are acknowledged', async () => {
    gateway = await startGateway();
    const w1 = await FakeWorker.connect(gateway, { autoAck: false, workerId: 'w1' });
    const client = await connectWs(urls(gateway).ws);
    const connect = await w1.event(Op.ClientConnect);
    client.ws.send('a');
    const a = await w1.event(Op.ClientMessage);
    w1.ack(connect.seq);

    const w2 = await FakeWorker.connect(gateway, { autoAck: false, workerId: 'w2' });
    w1.send({ op: Op.Drain });
    await w1.next(Op.DrainAck);

    client.ws.send('b');
    await roundTrip(client);
    expect(gateway.stats().pending).toBe(1);
    expect(w2.inbox.pending).toHaveLength(0);

    // A client with nothing in flight goes to the other worker at once.
    const other = await connectLine(urls(gateway).tcpPort);
    expect((await w2.event(Op.ClientConnect)).seq).toBe(1);

    w1.ack(a.seq);
    const b = await w2.event(Op.ClientMessage);
    expect([b.client, b.payload.toString(), b.seq]).toEqual([connect.client, 'b', 2]);
    expect(gateway.stats().pending).toBe(0);
    expect(w1.inbox.pending.filter((m) => m.op === Op.ClientMessage)).toHaveLength(0);
    w2.autoAck = true;
    w2.ack(b.seq);
    void other.close();
  });

  it('buffers events while no worker is ready and delivers them in order on WorkerReady', async () => {
    gateway = await startGateway();
    const ws = await connectWs(urls(gateway).ws);
    ws.ws.send('a');
    ws.ws.send('b');
    const tcp = await connectLine(urls(gateway).tcpPort);
    tcp.send('x');
    await eventually(() => gateway?.stats().pending === 5, 5_000, 'five pending events');

    const worker = await FakeWorker.connect(gateway);
    const seen = new Map<number, string[]>();
    for (let i = 0; i < 5; i++) {
      const e = await worker.event();
      const list = seen.get(e.client) ?? [];
      list.push(e.op === Op.ClientMessage ? e.payload.toString() : e.op === Op.ClientConnect ? 'connect' : 'close');
      seen.set(e.client, list);
    }
    expect([...seen.values()].sort((p, q) => p.length - q.length)).toEqual([
      ['connect', 'x'],
      ['connect', 'a', 'b'],
    ]);
    expect(gateway.stats().pending).toBe(0);
  });

  it('applies the pending bound: drop policy drops and counts new events', async () => {
    gateway = await startGateway({ pendingEvents: { max: 2, policy: 'drop' } });
    const ws = await connectWs(urls(gateway).ws);
    ws.ws.send('a');
    ws.ws.send('b');
    await roundTrip(ws);
    expect(gateway.stats().pending).toBe(2);
    expect(gateway.counters().eventsDroppedNoWorker).toBe(1);
    const worker = await FakeWorker.connect(gateway);
    await worker.event(Op.ClientConnect);
    expect((await worker.event(Op.ClientMessage)).payload.toString()).toBe('a');
  });

  it('applies the pending bound: close policy closes the client with 1013 and still reports its close', async () => {
    gateway = await startGateway({ pendingEvents: { max: 1, policy: 'close' } });
    const ws = await connectWs(urls(gateway).ws);
    ws.ws.send('a');
    expect((await ws.closed).code).toBe(1013);
    const worker = await FakeWorker.connect(gateway);
    expect((await worker.event()).op).toBe(Op.ClientConnect);
    expect((await worker.event()).op).toBe(Op.ClientClose);
  });

  it('keeps a client on its worker (sticky) and spreads new clients over workers', async () => {
    gateway = await startGateway();
    const w1 = await FakeWorker.connect(gateway, { workerId: 'w1' });
    const w2 = await FakeWorker.connect(gateway, { workerId: 'w2' });
    const c1 = await connectWs(urls(gateway).ws);
    const c2 = await connectWs(urls(gateway).ws);
    const connects = (w: FakeWorker): number => w.inbox.pending.filter((m) => m.op === Op.ClientConnect).length;
    await eventually(() => connects(w1) + connects(w2) === 2, 5_000, 'two ClientConnect events');
    expect([connects(w1), connects(w2)]).toEqual([1, 1]);
    const owner1 = (await w1.event(Op.ClientConnect)).client;
    const owner2 = (await w2.event(Op.ClientConnect)).client;
    for (let i = 0; i < 5; i++) c1.ws.send(`m${i}`);
    for (let i = 0; i < 5; i++) c2.ws.send(`n${i}`);
    const got1 = await Promise.all([0, 1, 2, 3, 4].map(() => w1.event(Op.ClientMessage)));
    const got2 = await Promise.all([0, 1, 2, 3, 4].map(() => w2.event(Op.ClientMessage)));
    expect(new Set(got1.map((m) => m.client))).toEqual(new Set([owner1]));
    expect(new Set(got2.map((m) => m.client))).toEqual(new Set([owner2]));
    expect(got1.map((m) => m.payload.toString().slice(1))).toEqual(['0', '1', '2', '3', '4']);
    expect(got2.map((m) => m.payload.toString().slice(1))).toEqual(['0', '1', '2', '3', '4']);
  });
});
