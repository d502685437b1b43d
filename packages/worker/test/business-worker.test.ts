import { afterEach, describe, expect, it } from 'vitest';
import { clientIdFor, Op, packValue } from '@gateworker/protocol';
import type { Message } from '@gateworker/protocol';
import { BusinessWorker } from '../src/business-worker.js';
import { StaticGatewayDirectory } from '../src/directory.js';
import type { Handler } from '../src/handler.js';
import { decodeSession } from '@gateworker/protocol';
import { deferred } from './fakes.js';
import { CaptureLogger } from '../../../test/helpers/capture-logger.js';
import { ackCovers, FakeGateway, SECRET } from './fake-gateway.js';
import { eventually } from '../../../test/helpers/wait.js';

const TCP = { listener: 'tcp://127.0.0.1:7273', remoteAddress: '10.1.1.1', remotePort: 4000, request: null };

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function gateway(): Promise<FakeGateway> {
  const g = await new FakeGateway().start();
  cleanups.push(() => g.close());
  return g;
}

function worker(
  handler: Handler<any>,
  directory: StaticGatewayDirectory,
  extra: Partial<ConstructorParameters<typeof BusinessWorker>[0]> = {},
): BusinessWorker {
  const w = new BusinessWorker({
    handler,
    registers: [],
    directory,
    secret: SECRET,
    nodeId: 'test',
    workerId: 'w1',
    readyTimeoutMs: 5000,
    drainTimeoutMs: 5000,
    reconnect: { minMs: 10, maxMs: 50 },
    ...extra,
  });
  cleanups.push(() => w.destroy());
  return w;
}

const ops = (ms: Message[]): number[] => ms.map((m) => m.op);

describe('BusinessWorker against a scripted gateway', () => {
  it('runs onWorkerStart before WorkerReady and resolves start() once every gateway is ready', async () => {
    const g = await gateway();
    const order: string[] = [];
    const w = worker({ onWorkerStart: async () => void order.push('onWorkerStart') }, new StaticGatewayDirectory([g.info()]));
    const started = w.start().then(() => order.push('started'));
    const link = await g.link();
    expect(link.peerRole).toBe('worker');
    const ready = await link.next(Op.WorkerReady);
    order.push('WorkerReady');
    expect(ready.workerId).toBe('w1');
    await started;
    // start() resolves once WorkerReady is written; its arrival may come a moment later.
    expect(order[0]).toBe('onWorkerStart');
    expect(order.slice(1).sort()).toEqual(['WorkerReady', 'started']);
    expect(w.state).toBe('ready');
    expect(w.info()).toMatchObject({ workerId: 'w1', state: 'ready', gateways: 1, inflight: 0 });
  });

  it('resolves start() at once when no gateway is listed', async () => {
    const w = worker({}, new StaticGatewayDirectory([]));
    await w.start();
    expect(w.state).toBe('ready');
  });

  it('echoes, writes the session back and acks after the commands', async () => {
    const g = await gateway();
    const w = worker(
      {
        onConnect(client) {
          client.session['n'] = 0;
        },
        async onMessage(client, message) {
          await new Promise((r) => setImmediate(r));
          client.send(`echo:${message as string}`);
          client.session['n'] = (client.session['n'] as number) + 1;
        },
      },
      new StaticGatewayDirectory([g.info()]),
    );
    await w.start();
    const link = await g.link();
    link.connect(5, TCP);
    const last = link.message(5, 'hi');
    await link.acked(last);
    const after = link.messages.filter((m) => m.op !== Op.WorkerReady);
    // SetSession of the connect precedes its ack; the echo and the new session precede the final ack.
    const lastAck = after.findIndex((m) => ackCovers(m, last));
    const echo = after.findIndex((m) => m.op === Op.SendToClient);
    const sessions = after.flatMap((m, i) => (m.op === Op.SetSession ? [i] : []));
    expect(echo).toBeGreaterThanOrEqual(0);
    expect(echo).toBeLessThan(lastAck);
    expect(sessions).toHaveLength(2);
    expect(sessions[1]).toBeLessThan(lastAck);
    expect(after[echo]).toMatchObject({ op: Op.SendToClient, client: 5, binary: false, payload: Buffer.from('echo:hi') });
    const set = after[sessions[1] as number] as Extract<Message, { op: typeof Op.SetSession }>;
    expect(decodeSession(set.session)).toEqual({ n: 1 });
    expect(w.info()).toMatchObject({ handled: 2, inflight: 0 });
  });

  it('acks at most once per event-loop turn for a burst of synchronous events', async () => {
    const g = await gateway();
    const w = worker({ onMessage() {} }, new StaticGatewayDirectory([g.info()]));
    await w.start();
    const link = await g.link();
    let last = 0;
    for (let i = 1; i <= 200; i++) last = link.message(i, 'x');
    await link.acked(last);
    const acks = link.messages.filter((m) => m.op === Op.AckRanges);
    expect(acks.length).toBeLessThan(20);
    // Events finishing in order make one range per flush; together they cover 1..200 once.
    const covered = acks.flatMap((m) =>
      m.op === Op.AckRanges ? Array.from({ length: m.ranges[1]! - m.ranges[0]! + 1 }, (_, i) => m.ranges[0]! + i) : [],
    );
    expect(covered).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });

  it('builds an unknown client from a redelivered event and its session', async () => {
    const g = await gateway();
    const seen: unknown[] = [];
    const w = worker(
      {
        onMessage(client, m) {
          seen.push({ id: client.id, m, session: { ...client.session }, addr: client.remoteAddress });
        },
      },
      new StaticGatewayDirectory([g.info()]),
    );
    await w.start();
    const link = await g.link();
    const seq = link.message(77, 'late', packValue({ user: 'zoe' }));
    await link.acked(seq);
    expect(seen).toEqual([{ id: clientIdFor(g.gatewayId, 77), m: 'late', session: { user: 'zoe' }, addr: '' }]);
  });

  it('drains: Drain, waits for DrainAck and in-flight events, acks, runs onWorkerStop, closes', async () => {
    const g = await gateway();
    const dir = new StaticGatewayDirectory([g.info()]);
    const gate = deferred();
    const order: string[] = [];
    const w = worker(
      {
        async onMessage(client) {
          await gate.promise;
          client.send('late reply');
          order.push('handled');
        },
        onWorkerStop: () => void order.push('onWorkerStop'),
      },
      dir,
    );
    await w.start();
    const link = await g.link();
    const seq = link.message(1, 'slow');
    await link.until(() => w.info().inflight === 1, 5_000, 'the event to arrive');
    const drained = w.drain().then(() => order.push('drained'));
    expect(w.state).toBe('draining');
    expect(dir.lastWorkerInfo).toMatchObject({ workerId: 'w1', state: 'draining', inflight: 1 });
    await link.next(Op.Drain);
    // An event sent before DrainAck is still handled.
    const seq2 = link.message(2, 'also');
    link.link.send({ op: Op.DrainAck });
    gate.resolve();
    await drained;
    expect(order).toEqual(['handled', 'handled', 'onWorkerStop', 'drained']);
    expect(w.state).toBe('closed');
    await link.until(() => link.closed, 5_000, 'the link to close');
    const msgs = link.messages;
    expect(msgs.filter((m) => m.op === Op.SendToClient)).toHaveLength(2);
    expect(
      ackCovers(
        msgs.findLast((m) => m.op === Op.AckRanges)!,
        seq2,
      ),
    ).toBe(true);
    expect(seq2).toBe(seq + 1);
  });

  it('closes anyway after drainTimeoutMs when a gateway never answers DrainAck', async () => {
    const g = await gateway();
    const w = worker({}, new StaticGatewayDirectory([g.info()]), { drainTimeoutMs: 100 });
    await w.start();
    const link = await g.link();
    await w.close();
    expect(w.state).toBe('closed');
    await link.until(() => link.closed, 5_000, 'the link to close');
    expect(ops(link.messages)).toContain(Op.Drain);
  });

  it('reconnects while the gateway is listed; unlisted, keeps its healthy link; gives it up once the link dies too', async () => {
    const g = await gateway();
    const dir = new StaticGatewayDirectory([g.info()]);
    const logger = new CaptureLogger();
    const w = worker({}, dir, { logger });
    await w.start();
    const first = await g.link(1);
    first.link.destroy();
    const second = await g.link(2);
    await second.next(Op.WorkerReady);
    // Discovery is advisory: the directory dropping the gateway does not close a healthy link.
    dir.remove(g.gatewayId);
    await w.gateway.sendToAll('still linked');
    expect(await second.next(Op.SendToAll)).toMatchObject({ payload: Buffer.from('still linked') });
    expect(second.closed).toBe(false);
    expect(w.info().gateways).toBe(1);
    // Unlisted and its link closed cleanly (the gateway stopped): given up (not reconnected).
    second.link.destroy();
    await eventually(() => logger.lines.some((e) => e.msg.startsWith('gateway given up')), 5000, 'the gateway to be given up', 0);
    expect(w.info().gateways).toBe(0);
    expect(g.links.length).toBe(2);
    // Listed again: connects again.
    dir.add(g.info());
    const third = await g.link(3);
    await third.next(Op.WorkerReady);
  });

  it('unlisted and silent (frozen, cut off): keeps its commands and delivers them when it is listed again', async () => {
    const g = await gateway();
    const dir = new StaticGatewayDirectory([g.info()]);
    const logger = new CaptureLogger();
    const w = worker({}, dir, { logger, link: { pingIntervalMs: 50, timeoutMs: 300 } });
    await w.start();
    const first = await g.link(1);
    await first.next(Op.WorkerReady);
    dir.remove(g.gatewayId);
    first.link.socket.pause(); // the gateway stops reading: no pong, the worker's heartbeat gives up the link
    await eventually(() => logger.lines.some((e) => e.msg.startsWith('gateway unreachable')), 5000, 'the gateway to linger', 0);
    await w.gateway.sendToAll('while it was away');
    dir.add(g.info());
    const second = await g.link(2);
    expect(await second.next(Op.SendToAll)).toMatchObject({ payload: Buffer.from('while it was away') });
    expect(logger.lines.some((e) => e.msg.startsWith('gateway given up'))).toBe(false);
  });

  it('gives up an unlisted, unreachable gateway once its commands have aged out (commandBuffer.maxAge)', async () => {
    const g = await gateway();
    const dir = new StaticGatewayDirectory([g.info()]);
    const logger = new CaptureLogger();
    const w = worker({}, dir, { logger, link: { pingIntervalMs: 50, timeoutMs: 300 }, commandBuffer: { maxBytes: 1 << 20, maxAgeMs: 300 } });
    await w.start();
    const first = await g.link(1);
    await first.next(Op.WorkerReady);
    dir.remove(g.gatewayId);
    first.link.socket.pause();
    await eventually(() => logger.lines.some((e) => e.msg.startsWith('gateway given up')), 5000, 'the gateway to be given up', 0);
    expect(g.links.length).toBe(1);
  });

  it('queries over the link through worker.gateway', async () => {
    const g = await gateway();
    let api: import('../src/cluster-api-types.js').ClusterApi | null = null;
    const w = worker({ onWorkerStart: (ctx) => void (api = ctx.gateway) }, new StaticGatewayDirectory([g.info()]));
    await w.start();
    const link = await g.link();
    link.answer = (q) => (q.kind === 5 ? 3 : null);
    expect(await api!.getAllClientCount()).toBe(3);
  });
});
