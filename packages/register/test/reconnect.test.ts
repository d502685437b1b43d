import { afterEach, describe, expect, it, vi } from 'vitest';
import { RegisterServer } from '../src/index.js';
import { REGISTER_WAIT_MS, FAST_LINK, gatewayInfo, Harness, SECRET, workerInfo } from './helpers.js';
import { CaptureLogger } from '../../../test/helpers/capture-logger.js';
import { nextEvent, untilEvents } from '../../../test/helpers/wait.js';

const h = new Harness();
afterEach(() => h.closeAll());

describe('register restart', () => {
  it('clients reconnect with backoff, re-announce and re-subscribe, and the view converges again', async () => {
    const first = await h.server();
    const { port } = first.server.address ?? { port: 0 };
    const address = first.address;
    const g1 = gatewayInfo('gw0000000rs1');
    const g2 = gatewayInfo('gw0000000rs2');
    const { client: gw1 } = h.client({ registers: [address], role: 'gateway', gateway: g1 });
    const { client: gw2 } = h.client({ registers: [address], role: 'gateway', gateway: g2 });
    const { client: worker } = h.client({ registers: [address], role: 'worker', worker: workerInfo('w-rs') });
    await Promise.all([gw1.ready(), gw2.ready(), worker.ready()]);
    await untilEvents(worker, ['gateway-up'], () => worker.gateways().size === 2, 3_000);

    // The register goes away: every client sees register-down; the worker keeps the last known
    // view (discovery is advisory: losing every register says nothing about the gateways).
    let gatewayDowns = 0;
    worker.on('gateway-down', () => gatewayDowns++);
    const downs = Promise.all([gw1, gw2, worker].map((c) => nextEvent(c, 'register-down', () => true, 3_000)));
    await first.server.close();
    await downs;
    expect(worker.gateways().size).toBe(2);
    expect(gatewayDowns).toBe(0);

    // A new register on the same port: the clients find it and the view comes back.
    const logger = new CaptureLogger(REGISTER_WAIT_MS);
    const second = new RegisterServer({ listen: { host: '127.0.0.1', port }, secret: SECRET, nodeId: 'register-2', logger, link: FAST_LINK });
    h.add(() => second.close());
    const ups = Promise.all([gw1, gw2, worker].map((c) => nextEvent(c, 'register-up', () => true, 5_000)));
    await second.start();
    await ups;
    // The new register hears both announcements again; the worker's fresh list replaces the kept one.
    const status = await vi.waitFor(
      async () => {
        const s = await worker.status();
        expect(s.gateways).toHaveLength(2);
        return s;
      },
      { timeout: 5_000, interval: 50 },
    );
    await untilEvents(worker, ['gateway-up', 'gateway-down'], () => worker.gateways().size === 2, 5_000);
    // (The new register's first list may lack a gateway that has not re-announced yet: that is a
    // gateway-down followed by a gateway-up, which the worker's links ride out.)
    expect(new Set(worker.gateways().keys())).toEqual(new Set([g1.gatewayId, g2.gatewayId]));
    expect(status.register.nodeId).toBe('register-2');
    expect(status.gateways.map((g) => g.gatewayId).sort()).toEqual([g1.gatewayId, g2.gatewayId].sort());
    expect(status.workers.map((w) => w.workerId)).toEqual(['w-rs']);
  });

  it('with two registers, losing one drops only what it alone knew; losing both keeps the view', async () => {
    const a = await h.server();
    const b = await h.server({ nodeId: 'register-2' });
    const onlyA = gatewayInfo('gw000000onla');
    const both = gatewayInfo('gw000000both');
    const { client: gwA } = h.client({ registers: [a.address], role: 'gateway', gateway: onlyA });
    const { client: gwBoth } = h.client({ registers: [a.address, b.address], role: 'gateway', gateway: both });
    const { client: worker } = h.client({ registers: [a.address, b.address], role: 'worker', worker: workerInfo('w-2r') });
    await Promise.all([gwA.ready(), gwBoth.ready(), worker.ready()]);
    await untilEvents(worker, ['gateway-up'], () => worker.gateways().size === 2, 3_000);
    // A goes: B still answers, and it does not know onlyA.
    const downA = nextEvent<[string]>(worker, 'gateway-down', () => true, 3_000);
    await a.server.close();
    expect((await downA)[0]).toBe(onlyA.gatewayId);
    expect([...worker.gateways().keys()]).toEqual([both.gatewayId]);
    // B goes too: nothing answers; the last known view stays.
    let downs = 0;
    worker.on('gateway-down', () => downs++);
    const lost = nextEvent(worker, 'register-down', () => true, 3_000);
    await b.server.close();
    await lost;
    expect([...worker.gateways().keys()]).toEqual([both.gatewayId]);
    expect(downs).toBe(0);
  });

  it('ready() fails at once when every register refuses us for good (wrong secret), naming the reason', async () => {
    const { address } = await h.server();
    const { client } = h.client({ registers: [address], role: 'worker', worker: workerInfo('w-bad'), secret: 'wrong-secret' });
    const started = performance.now();
    const err = await client.ready(20_000).then(
      () => null,
      (e: unknown) => e as Error & { code: string },
    );
    expect(err?.code).toBe('GW_ERR_REGISTER_NOT_READY');
    expect(err?.message).toMatch(/GW_ERR_AUTH_FAILED|authentication/i);
    // Not the 20 s timeout: the refusal ended the wait.
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('a client started before its register exists connects once it appears', async () => {
    const probe = await h.server();
    const { port } = probe.server.address ?? { port: 0 };
    await probe.server.close();
    const { client, logger } = h.client({ registers: [`127.0.0.1:${port}`], role: 'client' });
    await logger.waitFor((l) => l.level === 'warn' && l.obj['code'] === 'ECONNREFUSED');
    const server = new RegisterServer({ listen: { host: '127.0.0.1', port }, secret: SECRET, nodeId: 'late', link: FAST_LINK });
    h.add(() => server.close());
    await server.start();
    await client.ready(5_000);
  });

  it('close() is idempotent and stops reconnecting; pending calls reject with GW_ERR_REGISTER_CLOSED', async () => {
    const probe = await h.server();
    const { port } = probe.server.address ?? { port: 0 };
    await probe.server.close();
    const { client } = h.client({ registers: [`127.0.0.1:${port}`], role: 'client' });
    const pending = client.ready(10_000);
    const closing = client.close();
    await expect(pending).rejects.toMatchObject({ code: 'GW_ERR_REGISTER_CLOSED' });
    await Promise.all([closing, client.close(), probe.server.close()]);
    await expect(client.status()).rejects.toMatchObject({ code: 'GW_ERR_REGISTER_CLOSED' });
  });
});
