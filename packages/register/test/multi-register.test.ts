import { afterEach, describe, expect, it } from 'vitest';
import { Op, type GatewayInfo } from '@gateworker/protocol';
import { connectLink } from '@gateworker/protocol/node';
import { RegisterServer } from '../src/index.js';
import { REGISTER_WAIT_MS, gatewayInfo, Harness, SECRET, workerInfo } from './helpers.js';
import { CaptureLogger } from '../../../test/helpers/capture-logger.js';
import { nextEvent, untilEvents } from '../../../test/helpers/wait.js';

const h = new Harness();
afterEach(() => h.closeAll());

/** A scripted gateway announcing to one register only. Returns a function that closes its link. */
async function announceTo(address: string, gateway: GatewayInfo): Promise<() => Promise<unknown>> {
  const [host, port] = address.split(':') as [string, string];
  const { link } = await connectLink({ host, port: Number(port), secret: SECRET, role: 'gateway', nodeId: gateway.nodeId });
  h.add(() => link.destroy());
  link.send({ op: Op.Announce, gateway });
  return () => link.close();
}

const gatewayUp = (id: string) => (l: { msg: string; obj: Record<string, unknown> }) => l.msg === 'gateway up' && l.obj['gatewayId'] === id;
const gatewayDown = (id: string) => (l: { msg: string; obj: Record<string, unknown> }) => l.msg === 'gateway down' && l.obj['gatewayId'] === id;

describe('several registers', () => {
  it('a gateway announced to only one register is visible; it is down only when gone from both', async () => {
    const a = await h.server({ nodeId: 'reg-a' });
    const b = await h.server({ nodeId: 'reg-b' });
    const { client: worker } = h.client({ registers: [a.address, b.address], role: 'client' });
    await worker.ready();

    const onlyA = gatewayInfo('gw00000000oa');
    const up = nextEvent(worker, 'gateway-up', () => true, 3_000);
    await announceTo(a.address, onlyA);
    expect((await up)[0]).toEqual(onlyA);

    // Known to both registers: one gateway-up only.
    const both = gatewayInfo('gw00000000ab');
    const ups: string[] = [];
    worker.on('gateway-up', (g) => ups.push(g.gatewayId));
    const closeOnA = await announceTo(a.address, both);
    const closeOnB = await announceTo(b.address, both);
    await Promise.all([a.logger.waitFor(gatewayUp(both.gatewayId)), b.logger.waitFor(gatewayUp(both.gatewayId))]);
    await untilEvents(worker, ['gateway-up'], () => worker.gateways().has(both.gatewayId), 3_000);

    // Gone from A only: still known through B.
    let downs = 0;
    worker.on('gateway-down', () => downs++);
    await closeOnA();
    await a.logger.waitFor(gatewayDown(both.gatewayId));
    // Round trips through both registers: A's GatewayDown has reached the worker by now.
    await worker.status();
    expect(worker.gateways().has(both.gatewayId)).toBe(true);

    const down = nextEvent<[string]>(worker, 'gateway-down', (id) => id === both.gatewayId, 3_000);
    await closeOnB();
    await down;
    expect(downs).toBe(1);
    expect(ups).toEqual([both.gatewayId]);
    expect([...worker.gateways().keys()]).toEqual([onlyA.gatewayId]);
  });

  it('losing one register drops only what it alone knew; the view follows the register that comes back', async () => {
    const a = await h.server({ nodeId: 'reg-a' });
    const b = await h.server({ nodeId: 'reg-b' });
    const { port: portB } = b.server.address ?? { port: 0 };
    const gw = gatewayInfo('gw00000000rb');
    const { client: gateway } = h.client({ registers: [a.address, b.address], role: 'gateway', gateway: gw });
    const { client: worker } = h.client({ registers: [a.address, b.address], role: 'worker', worker: workerInfo('w-multi') });
    await Promise.all([gateway.ready(), worker.ready()]);
    await untilEvents(worker, ['gateway-up'], () => worker.gateways().has(gw.gatewayId), 3_000);
    const onlyB = gatewayInfo('gw00000000xb');
    await announceTo(b.address, onlyB);
    await untilEvents(worker, ['gateway-up'], () => worker.gateways().has(onlyB.gatewayId), 3_000);

    const down = nextEvent<[string]>(worker, 'gateway-down', () => true, 3_000);
    await b.server.close();
    expect((await down)[0]).toBe(onlyB.gatewayId);
    expect(worker.gateways().has(gw.gatewayId)).toBe(true);

    const logger = new CaptureLogger(REGISTER_WAIT_MS);
    const b2 = new RegisterServer({ listen: { host: '127.0.0.1', port: portB }, secret: SECRET, nodeId: 'reg-b2', logger });
    h.add(() => b2.close());
    const workerBack = nextEvent<[string]>(worker, 'register-up', (address) => address === b.address, 5_000);
    await b2.start();
    await logger.waitFor(gatewayUp(gw.gatewayId), 5_000);
    await workerBack;
    // The status query follows the worker's Subscribe on the same link, so b2 has processed it.
    const status = await worker.status();
    expect(b2.status().workers.map((w) => w.workerId)).toEqual(['w-multi']);
    expect(status.registers.map((r) => r.register?.nodeId)).toEqual(['reg-a', 'reg-b2']);
    expect(status.gateways.map((g) => g.gatewayId)).toEqual([gw.gatewayId]);
    expect(status.workers.map((w) => w.workerId)).toEqual(['w-multi']);
    expect([...worker.gateways().keys()]).toEqual([gw.gatewayId]);
  });
});
