import { afterEach, describe, expect, it } from 'vitest';
import { RegisterServer } from '../src/index.js';
import { CaptureLogger, FAST_LINK, gatewayInfo, Harness, nextEvent, SECRET, until, workerInfo } from './helpers.js';

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
    await until(worker, ['gateway-up'], () => worker.gateways().size === 2);

    // The register goes away: every client sees register-down; the view empties (only it knew them).
    const downs = Promise.all([gw1, gw2, worker].map((c) => nextEvent(c, 'register-down')));
    const gone = until(worker, ['gateway-down'], () => worker.gateways().size === 0);
    await first.server.close();
    await downs;
    await gone;

    // A new register on the same port: the clients find it and the view comes back.
    const logger = new CaptureLogger();
    const second = new RegisterServer({ listen: { host: '127.0.0.1', port }, secret: SECRET, nodeId: 'register-2', logger, link: FAST_LINK });
    h.add(() => second.close());
    await second.start();
    await until(worker, ['gateway-up'], () => worker.gateways().size === 2, 5_000);
    expect(new Set(worker.gateways().keys())).toEqual(new Set([g1.gatewayId, g2.gatewayId]));
    // The worker's view holds both, so the new register has both announcements and the worker's Subscribe.
    const status = await worker.status();
    expect(status.register.nodeId).toBe('register-2');
    expect(status.gateways.map((g) => g.gatewayId).sort()).toEqual([g1.gatewayId, g2.gatewayId].sort());
    expect(status.workers.map((w) => w.workerId)).toEqual(['w-rs']);
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
