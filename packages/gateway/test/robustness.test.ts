import { once } from 'node:events';
import { connect } from 'node:net';
import { ErrorCode, Op, type ProtocolError } from '@gateworker/protocol';
import { connectLink } from '@gateworker/protocol/node';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Gateway } from '../src/index.js';
import { FakeWorker, SECRET, startGateway, urls } from './helpers.js';
import { connectWs, connectLine } from '../../../test/helpers/clients.js';
import { eventually, within } from '../../../test/helpers/wait.js';

describe('bad input and limits', () => {
  let gateway: Gateway | null = null;
  afterEach(async () => {
    await gateway?.close();
    gateway = null;
  });

  it('closes a ws client that sends an oversize message with 1009 and counts it', async () => {
    gateway = await startGateway({ listeners: [{ url: 'ws://127.0.0.1:0/ws', maxMessageBytes: 100 }] });
    const worker = await FakeWorker.connect(gateway);
    const client = await connectWs(urls(gateway).ws);
    client.ws.send('x'.repeat(101));
    expect((await client.closed).code).toBe(1009);
    await worker.event(Op.ClientConnect);
    await worker.event(Op.ClientClose);
    expect(gateway.counters().oversizeMessages).toBe(1);
  });

  it('closes a tcp client whose line exceeds the limit', async () => {
    gateway = await startGateway({ listeners: [{ url: 'tcp://127.0.0.1:0', maxMessageBytes: 10 }] });
    const client = await connectLine(urls(gateway).tcpPort);
    client.socket.write('y'.repeat(11));
    await within(client.closed, 5_000, 'tcp close');
    await eventually(() => gateway?.counters().oversizeMessages === 1, 5_000, 'oversize counted');
  });

  it('refuses ws upgrades on another path and past max connections (503)', async () => {
    gateway = await startGateway({ listeners: [{ url: 'ws://127.0.0.1:0/ws', maxConnections: 1 }] });
    const { ws } = urls(gateway);
    const wrong = new WebSocket(ws.replace('/ws', '/other'));
    wrong.on('error', () => {});
    const [req, res] = (await within(once(wrong, 'unexpected-response'), 5_000, 'response')) as [{ destroy(): void }, { statusCode: number }];
    expect(res.statusCode).toBe(404);
    req.destroy();
    const first = await connectWs(ws);
    const second = new WebSocket(ws);
    second.on('error', () => {});
    const [req2, res2] = (await within(once(second, 'unexpected-response'), 5_000, 'response')) as [{ destroy(): void }, { statusCode: number }];
    expect(res2.statusCode).toBe(503);
    req2.destroy();
    expect(gateway.counters().clientsRejected).toBe(1);
    void first.close();
  });

  it('fails a worker link that sends a malformed frame, and carries on', async () => {
    gateway = await startGateway();
    const bad = await FakeWorker.connect(gateway);
    const closed = once(gateway, 'link-closed');
    bad.link.socket.write(Buffer.from([0, 0, 0, 2, 250, 1])); // unknown opcode 250
    const error = await bad.next(Op.Error);
    expect(error.message).toMatch(/unknown opcode/);
    await within(closed, 5_000, 'link-closed');
    await within(bad.closed, 5_000, 'bad link closed');

    const good = await FakeWorker.connect(gateway);
    const client = await connectWs(urls(gateway).ws);
    await good.event(Op.ClientConnect);
    client.ws.send('still fine');
    expect((await good.event(Op.ClientMessage)).payload.toString()).toBe('still fine');
  });

  it('fails a link that acknowledges events never sent', async () => {
    gateway = await startGateway();
    const worker = await FakeWorker.connect(gateway);
    const closed = once(gateway, 'link-closed');
    worker.ack(42);
    const error = await worker.next(Op.Error);
    expect(error.message).toMatch(/never sent/);
    await within(closed, 5_000, 'link closed');
    expect(gateway.counters().linksFailed).toBe(1);
  });

  it('refuses flow control from a GatewayClient link but serves its commands and queries', async () => {
    gateway = await startGateway();
    const client = await FakeWorker.connect(gateway, { role: 'client', ready: false });
    expect((await client.query(1, 5, null)).result).toBe(0);
    client.send({ op: Op.WorkerReady, workerId: 'x', pid: 1 });
    expect((await client.next(Op.Error)).message).toMatch(/WorkerReady from a client link/);
  });

  it('refuses an internal connection with the wrong secret', async () => {
    gateway = await startGateway();
    const { host, port } = gateway.internalAddress();
    const err = (await connectLink({ host, port, secret: 'wrong', role: 'worker', nodeId: 'intruder' }).catch((e: unknown) => e)) as ProtocolError;
    expect(err.code).toBe(ErrorCode.AuthFailed);
    await eventually(() => gateway?.counters().linksRefused === 1, 5_000, 'refusal counted');
    // The right secret still works.
    await FakeWorker.connect(gateway, { secret: SECRET });
  });

  it('closes silent clients on the heartbeat sweep and reports their close', async () => {
    gateway = await startGateway({ heartbeat: { intervalMs: 40, timeoutMs: 120 } });
    const worker = await FakeWorker.connect(gateway);
    const alive = await connectWs(urls(gateway).ws);
    const silentTcp = connect({ host: '127.0.0.1', port: urls(gateway).tcpPort });
    silentTcp.on('error', () => {});
    const tcpClosed = once(silentTcp, 'close');
    const deadWs = await connectWs(urls(gateway).ws);
    (deadWs.ws as unknown as { _socket: { pause(): void } })._socket.pause(); // stops answering pings
    await within(tcpClosed, 5_000, 'silent tcp closed');
    await eventually(() => gateway?.counters().heartbeatTimeouts === 2, 5_000, 'two heartbeat timeouts');
    const closes = [await worker.event(Op.ClientClose), await worker.event(Op.ClientClose)];
    expect(closes).toHaveLength(2);
    expect(alive.ws.readyState).toBe(WebSocket.OPEN);
    expect(gateway.stats().clients).toBe(1);
  });

  it('close(): clients go away (1001 / end), workers get their ClientClose then DrainAck', async () => {
    gateway = await startGateway();
    const worker = await FakeWorker.connect(gateway);
    const ws = await connectWs(urls(gateway).ws);
    const tcp = await connectLine(urls(gateway).tcpPort);
    await worker.event(Op.ClientConnect);
    await worker.event(Op.ClientConnect);
    const g = gateway;
    gateway = null;
    await within(g.close(), 5_000, 'gateway close');
    expect((await ws.closed).code).toBe(1001);
    await within(tcp.closed, 5_000, 'tcp closed');
    await worker.event(Op.ClientClose);
    await worker.event(Op.ClientClose);
    await worker.next(Op.DrainAck);
    await within(worker.closed, 5_000, 'worker link closed');
    await g.close(); // idempotent
  });
});
