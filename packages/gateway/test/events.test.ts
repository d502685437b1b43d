import { Op, clientIdFor, unpackValue, WireErrorCode } from '@gateworker/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/index.js';
import { FakeWorker, startGateway, urls } from './helpers.js';
import { connectWs, connectLine } from '../../../test/helpers/clients.js';

describe('client events through a worker link', () => {
  let gateway: Gateway | null = null;
  afterEach(async () => {
    await gateway?.close();
    gateway = null;
  });

  it('forwards a ws client connect, messages and close, and delivers sends back', async () => {
    gateway = await startGateway();
    const worker = await FakeWorker.connect(gateway);
    const client = await connectWs(`${urls(gateway).ws}?token=abc`, { headers: { 'x-test': 'yes' } });

    const connect = await worker.event(Op.ClientConnect);
    expect(connect.seq).toBe(1);
    expect(connect.info.listener).toBe('ws://127.0.0.1:0/ws');
    expect(connect.info.request?.url).toBe('/ws?token=abc');
    expect(connect.info.request?.headers['x-test']).toBe('yes');
    // A link that does not hold the client's state yet gets it: an empty session, no uid.
    expect(unpackValue(connect.session as Uint8Array)).toEqual({});
    expect(connect.uid).toBeUndefined();

    client.ws.send('hello');
    client.ws.send(Buffer.from([1, 2, 3]));
    const text = await worker.event(Op.ClientMessage);
    expect(text).toMatchObject({ seq: 2, client: connect.client, binary: false });
    expect(text.payload.toString()).toBe('hello');
    const binary = await worker.event(Op.ClientMessage);
    expect(binary).toMatchObject({ seq: 3, binary: true });
    expect([...binary.payload]).toEqual([1, 2, 3]);
    worker.ack(3);

    worker.send({ op: Op.SendToClient, client: connect.client, binary: false, payload: Buffer.from('hi there') });
    expect(await client.next()).toBe('hi there');
    worker.send({ op: Op.SendToClient, client: connect.client, binary: true, payload: Buffer.from([9, 8]) });
    const bin = await client.nextFrame();
    expect(bin.binary).toBe(true);
    expect([...bin.data]).toEqual([9, 8]);

    void client.close();
    const close = await worker.event(Op.ClientClose);
    expect(close).toMatchObject({ seq: 4, client: connect.client });
    expect(unpackValue(close.session as Uint8Array)).toEqual({});
    worker.ack(4);
    expect(gateway.stats()).toMatchObject({ clients: 0, workers: 1, pending: 0 });
    expect(gateway.counters()).toMatchObject({ clientsAccepted: 1, clientsClosed: 1, messagesIn: 2, messagesOut: 2 });
  });

  it('forwards a line-framed tcp client and writes lines back', async () => {
    gateway = await startGateway();
    const worker = await FakeWorker.connect(gateway);
    const client = await connectLine(urls(gateway).tcpPort);
    const connect = await worker.event(Op.ClientConnect);
    expect(connect.info.request).toBeNull();
    expect(connect.info.remoteAddress).toBe('127.0.0.1');

    client.socket.write('first\r\nsec');
    client.socket.write('ond\n');
    const m1 = await worker.event(Op.ClientMessage);
    const m2 = await worker.event(Op.ClientMessage);
    expect([m1.payload.toString(), m2.payload.toString(), m1.binary]).toEqual(['first', 'second', false]);

    worker.send({ op: Op.SendToClient, client: connect.client, binary: false, payload: Buffer.from('pong') });
    expect(await client.next()).toBe('pong');

    worker.send({ op: Op.CloseClient, client: connect.client, data: Buffer.from('bye'), binary: false });
    expect(await client.next()).toBe('bye');
    await client.closed;
    await worker.event(Op.ClientClose);
  });

  it('executes group, uid and session commands and answers queries', async () => {
    gateway = await startGateway();
    const worker = await FakeWorker.connect(gateway);
    const a = await connectWs(urls(gateway).ws);
    const b = await connectLine(urls(gateway).tcpPort);
    const ca = (await worker.event(Op.ClientConnect)).client;
    const cb = (await worker.event(Op.ClientConnect)).client;
    const gid = gateway.gatewayId;

    worker.send({ op: Op.JoinGroup, client: ca, group: 'room' });
    worker.send({ op: Op.JoinGroup, client: cb, group: 'room' });
    worker.send({ op: Op.BindUid, client: cb, uid: 'device-1' });
    worker.send({ op: Op.SendToGroups, groups: ['room'], exclude: [], binary: false, payload: Buffer.from('to room') });
    expect(await a.next()).toBe('to room');
    expect(await b.next()).toBe('to room');
    worker.send({ op: Op.SendToUids, uids: ['device-1'], binary: false, payload: Buffer.from('to uid') });
    expect(await b.next()).toBe('to uid');
    worker.send({ op: Op.SendToAll, exclude: [cb], binary: false, payload: Buffer.from('to all but b') });
    expect(await a.next()).toBe('to all but b');

    expect((await worker.query(1, 1, { client: ca })).result).toBe(true);
    expect((await worker.query(2, 1, { client: 999 })).result).toBe(false);
    expect((await worker.query(3, 3, { client: cb })).result).toBe('device-1');
    expect((await worker.query(4, 4, { uids: ['device-1'] })).result).toEqual([clientIdFor(gid, cb)]);
    expect((await worker.query(5, 5, null)).result).toBe(2);
    expect((await worker.query(6, 6, { group: 'room' })).result).toBe(2);
    expect(((await worker.query(7, 7, { group: 'room' })).result as string[]).sort()).toEqual([clientIdFor(gid, ca), clientIdFor(gid, cb)].sort());
    expect((await worker.query(8, 8, null)).result).toEqual(['room']);
    expect((await worker.query(9, 9, null)).result).toEqual(['device-1']);
    expect((await worker.query(10, 10, { group: 'room' })).result).toEqual(['device-1']);

    const { packValue } = await import('@gateworker/protocol');
    worker.send({ op: Op.SetSession, client: ca, session: packValue({ name: 'ann', prefs: { a: 1 } }) });
    worker.send({ op: Op.UpdateSession, client: ca, patch: packValue({ prefs: { b: 2 }, __proto__: { bad: true } }) });
    expect((await worker.query(11, 2, { client: ca })).result).toEqual({ name: 'ann', prefs: { a: 1, b: 2 } });
    expect((await worker.query(12, 2, { client: 999 })).result).toBeNull();
    expect((await worker.query(13, 11, { group: 'room' })).result).toEqual({
      [clientIdFor(gid, ca)]: { name: 'ann', prefs: { a: 1, b: 2 } },
      [clientIdFor(gid, cb)]: {},
    });
    expect(Object.keys((await worker.query(14, 12, null)).result as object)).toHaveLength(2);
    const bad = await worker.query(15, 6, { nope: 1 });
    expect(bad.error).toMatch(/group/);
    // Numeric on the wire: the asker maps the code back to GW_ERR_INVALID_QUERY, never the text.
    expect(bad.code).toBe(WireErrorCode.InvalidQuery);
    expect((await worker.query(100, 5, null)).code).toBeUndefined();

    // The session changed by UpdateSession travels with the next event.
    a.ws.send('with session');
    const m = await worker.event(Op.ClientMessage);
    expect(unpackValue(m.session as Uint8Array)).toEqual({ name: 'ann', prefs: { a: 1, b: 2 } });
    a.ws.send('without');
    expect((await worker.event(Op.ClientMessage)).session).toBeNull();

    worker.send({ op: Op.Ungroup, group: 'room' });
    expect((await worker.query(16, 8, null)).result).toEqual([]);
    worker.send({ op: Op.SendToClient, client: 12345, binary: false, payload: Buffer.from('x') });
    expect((await worker.query(17, 5, null)).result).toBe(2);
    expect(gateway.counters().commandsForGoneClients).toBe(1);
  });
});
