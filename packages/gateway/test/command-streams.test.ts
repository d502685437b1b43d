import { afterEach, describe, expect, it } from 'vitest';
import { Op, type Message } from '@gateworker/protocol';
import type { Gateway } from '../src/gateway.js';
import { FakeWorker, startGateway, urls } from './helpers.js';
import { connectWs, type WsClient } from '../../../test/helpers/clients.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(): Promise<{ gateway: Gateway; ws: WsClient; client: number }> {
  const gateway = await startGateway();
  cleanups.push(() => gateway.close());
  const worker = await FakeWorker.connect(gateway);
  cleanups.push(() => worker.close());
  const ws = await connectWs(urls(gateway).ws);
  cleanups.push(() => ws.close());
  const { client } = await worker.event(Op.ClientConnect);
  return { gateway, ws, client };
}

const text = (client: number, t: string): Message => ({ op: Op.SendToClient, client, binary: false, payload: Buffer.from(t) });

/** Everything the ws client receives until `last` (inclusive). */
async function receivedUntil(ws: WsClient, last: string): Promise<string[]> {
  const got: string[] = [];
  for (;;) {
    const t = await ws.next();
    got.push(t);
    if (t === last) return got;
  }
}

describe('command streams (gateway side)', () => {
  it('applies each stream op once across links: re-sent duplicates are skipped, acknowledged per turn', async () => {
    const { gateway, ws, client } = await setup();
    const a = await FakeWorker.connect(gateway, { role: 'client', ready: false });
    a.send({ op: Op.StreamResume, sender: 'inst-1', first: 1 });
    for (const t of ['1', '2', '3']) a.send(text(client, t));
    expect(await receivedUntil(ws, '3')).toEqual(['1', '2', '3']);
    let ack = await a.next(Op.StreamAck);
    while (ack.applied < 3) ack = await a.next(Op.StreamAck);
    expect(ack.applied).toBe(3);
    // The sender lost the link before it saw the ack: it re-sends from 2 on a new link, then 4.
    await a.close();
    const b = await FakeWorker.connect(gateway, { role: 'client', ready: false });
    b.send({ op: Op.StreamResume, sender: 'inst-1', first: 2 });
    for (const t of ['2', '3', '4']) b.send(text(client, t));
    expect(await receivedUntil(ws, '4')).toEqual(['4']);
    expect(gateway.counters()['streamOpsDuplicate']).toBe(2);
    let ackB = await b.next(Op.StreamAck);
    while (ackB.applied < 4) ackB = await b.next(Op.StreamAck);
    // A newer link supersedes b: what b still delivers is ignored (it would be re-sent on c).
    const c = await FakeWorker.connect(gateway, { role: 'client', ready: false });
    c.send({ op: Op.StreamResume, sender: 'inst-1', first: 5 });
    b.send(text(client, 'stale'));
    c.send(text(client, '5'));
    expect(await receivedUntil(ws, '5')).toEqual(['5']);
    expect(gateway.counters()['streamOpsStale']).toBe(1);
    await b.close();
    await c.close();
  });

  it('counts and logs a gap when a sender resumes past ops it no longer holds', async () => {
    const { gateway, ws, client } = await setup();
    const a = await FakeWorker.connect(gateway, { role: 'client', ready: false });
    a.send({ op: Op.StreamResume, sender: 'inst-2', first: 1 });
    a.send(text(client, 'x'));
    expect(await ws.next()).toBe('x');
    await a.close();
    const b = await FakeWorker.connect(gateway, { role: 'client', ready: false });
    b.send({ op: Op.StreamResume, sender: 'inst-2', first: 5 });
    b.send(text(client, 'y'));
    expect(await ws.next()).toBe('y');
    expect(gateway.counters()['streamOpsLost']).toBe(3);
    await b.close();
  });

  it('a link without a stream is not counted (each op applied as it comes)', async () => {
    const { gateway, ws, client } = await setup();
    const a = await FakeWorker.connect(gateway, { role: 'client', ready: false });
    a.send(text(client, 'plain'));
    expect(await ws.next()).toBe('plain');
    expect(gateway.counters()['streamResumes']).toBe(0);
    await a.close();
  });
});
