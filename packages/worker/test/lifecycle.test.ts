/**
 * The worker's and GatewayClient's lifecycle against a scripted gateway (real sockets): drain() /
 * close() idempotent and awaited, destroy() during a drain that waits for a DrainAck that never
 * comes, one 'close' event.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Op } from '@gateworker/protocol';
import { BusinessWorker } from '../src/business-worker.js';
import { StaticGatewayDirectory } from '../src/directory.js';
import { GatewayClient } from '../src/gateway-client.js';
import type { Handler } from '../src/handler.js';
import { FakeGateway, SECRET } from './fake-gateway.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function gateway(): Promise<FakeGateway> {
  const g = await new FakeGateway().start();
  cleanups.push(() => g.close());
  return g;
}

function worker(g: FakeGateway, handler: Handler = {}): { worker: BusinessWorker; closes: () => number } {
  const w = new BusinessWorker({
    handler,
    registers: [],
    directory: new StaticGatewayDirectory([g.info()]),
    secret: SECRET,
    nodeId: 'test',
    workerId: 'w1',
    readyTimeoutMs: 5_000,
    // Longer than any test: a drain that waits for it would time the test out.
    drainTimeoutMs: 60_000,
    reconnect: { minMs: 10, maxMs: 50 },
  });
  cleanups.push(() => w.destroy());
  let n = 0;
  w.on('close', () => n++);
  return { worker: w, closes: () => n };
}

describe('BusinessWorker lifecycle', () => {
  it('drain() and close() return the same promise and emit close once', async () => {
    const g = await gateway();
    const { worker: w, closes } = worker(g);
    await w.start();
    const link = await g.link();
    const draining = w.drain();
    expect(w.close()).toBe(draining);
    expect(w.drain()).toBe(draining);
    await link.next(Op.Drain);
    link.link.send({ op: Op.DrainAck });
    await draining;
    expect(w.state).toBe('closed');
    w.destroy();
    expect(closes()).toBe(1);
  });

  it('destroy() during a drain stuck on a missing DrainAck: close once, the drain settles, onWorkerStop is not run', async () => {
    const g = await gateway();
    let stopped = 0;
    const { worker: w, closes } = worker(g, {
      onWorkerStop: () => {
        stopped++;
      },
    });
    await w.start();
    const link = await g.link();
    const closing = w.close();
    await link.next(Op.Drain);
    w.destroy();
    expect(closes()).toBe(1);
    await closing;
    await link.until(() => link.closed, 5_000, 'the link to be dropped');
    expect(w.state).toBe('closed');
    expect(await w.close().then(() => 'settled')).toBe('settled');
    expect(stopped).toBe(0);
    expect(closes()).toBe(1);
  });

  it('a worker whose onWorkerStart throws is closed once; close() afterwards settles at once', async () => {
    const g = await gateway();
    const { worker: w, closes } = worker(g, {
      onWorkerStart: () => {
        throw new Error('boom');
      },
    });
    await expect(w.start()).rejects.toMatchObject({ code: 'GW_ERR_WORKER_START' });
    expect(closes()).toBe(1);
    await w.close();
    w.destroy();
    expect(closes()).toBe(1);
  });
});

describe('GatewayClient lifecycle', () => {
  function client(g: FakeGateway): GatewayClient {
    const c = new GatewayClient({ gateways: [{ gatewayId: g.gatewayId, address: g.address }], secret: SECRET, reconnect: { minMs: 10, maxMs: 50 } });
    cleanups.push(() => c.destroy());
    return c;
  }

  it('close() twice returns the same promise; the link closes', async () => {
    const g = await gateway();
    const c = client(g);
    await c.ready(3_000);
    const link = await g.link();
    const first = c.close();
    expect(c.close()).toBe(first);
    await first;
    await link.until(() => link.closed, 5_000, 'the link to close');
  });

  it('destroy() during close() settles the close and drops the link; later calls fail as closed', async () => {
    const g = await gateway();
    const c = client(g);
    await c.ready(3_000);
    const link = await g.link();
    const closing = c.close();
    c.destroy();
    await closing;
    await link.until(() => link.closed, 5_000, 'the link to be dropped');
    await expect(c.sendToAll('x')).rejects.toMatchObject({ code: 'GW_ERR_CLOSED' });
  });
});
