import { afterEach, describe, expect, it } from 'vitest';
import { Op } from '@gateworker/protocol';
import { connectLink } from '@gateworker/protocol/node';
import { RegisterErrorCode } from '../src/index.js';
import { gatewayInfo, Harness, SECRET, workerInfo } from './helpers.js';
import { nextEvent } from '../../../test/helpers/wait.js';

const h = new Harness();
afterEach(() => h.closeAll());

describe('announce and subscribe', () => {
  it('a subscriber learns existing gateways from the list, then new ones and departures', async () => {
    const { address } = await h.server();
    const g1 = gatewayInfo('gw000000000a');
    const { client: gateway1 } = h.client({ registers: [address], role: 'gateway', nodeId: 'gw-node', gateway: g1 });
    await gateway1.ready();

    const { client: worker } = h.client({ registers: [address], role: 'worker', worker: workerInfo('w1') });
    const firstUp = nextEvent<[{ gatewayId: string }]>(worker, 'gateway-up', () => true, 3_000);
    await worker.ready();
    expect([...worker.gateways().keys()]).toEqual([g1.gatewayId]);
    expect((await firstUp)[0].gatewayId).toBe(g1.gatewayId);

    const g2 = gatewayInfo('gw000000000b');
    const up = nextEvent<[{ gatewayId: string }]>(worker, 'gateway-up', (g) => g.gatewayId === g2.gatewayId, 3_000);
    const { client: gateway2 } = h.client({ registers: [address], role: 'gateway', nodeId: 'gw-node', gateway: g2 });
    expect((await up)[0]).toEqual(g2);
    expect(worker.gateways().get(g2.gatewayId)).toEqual(g2);

    const down = nextEvent<[string]>(worker, 'gateway-down', () => true, 3_000);
    await gateway2.close();
    expect((await down)[0]).toBe(g2.gatewayId);
    expect([...worker.gateways().keys()]).toEqual([g1.gatewayId]);
  });

  it('a client (role client) subscribes without being listed as a worker', async () => {
    const { server, address } = await h.server();
    const { client } = h.client({ registers: [address], role: 'client' });
    await client.ready();
    expect(server.status().workers).toEqual([]);
    expect(client.gateways().size).toBe(0);
  });

  it('a re-announce with a changed address reaches subscribers as gateway-update', async () => {
    const { address } = await h.server();
    const { client: worker } = h.client({ registers: [address], role: 'client' });
    await worker.ready();
    const [host, port] = address.split(':') as [string, string];
    const { link } = await connectLink({ host, port: Number(port), secret: SECRET, role: 'gateway', nodeId: 'gw-node' });
    h.add(() => link.close());
    const g = gatewayInfo('gw000000000c');
    const up = nextEvent(worker, 'gateway-up', () => true, 3_000);
    link.send({ op: Op.Announce, gateway: g });
    await up;
    const update = nextEvent<[{ address: string }]>(worker, 'gateway-update', () => true, 3_000);
    link.send({ op: Op.Announce, gateway: { ...g, address: '10.9.9.9:2900' } });
    expect((await update)[0].address).toBe('10.9.9.9:2900');
  });

  it('a duplicate Subscribe on one link is answered with a fresh list and changes nothing else', async () => {
    const { server, address } = await h.server();
    const [host, port] = address.split(':') as [string, string];
    const { link } = await connectLink({ host, port: Number(port), secret: SECRET, role: 'worker', nodeId: 'w-node' });
    h.add(() => link.close());
    const lists: unknown[] = [];
    const two = new Promise<void>((resolve) => {
      link.onMessage = (m) => {
        if (m.op === Op.GatewayList) lists.push(m.gateways);
        if (lists.length === 2) resolve();
      };
    });
    link.send({ op: Op.Subscribe, worker: workerInfo('w1') });
    link.send({ op: Op.Subscribe, worker: workerInfo('w1', { state: 'draining' }) });
    await two;
    expect(server.status().workers.map((w) => [w.workerId, w.state])).toEqual([['w1', 'draining']]);
  });

  it('updateStats / updateWorker are refused for the wrong role', async () => {
    const { address } = await h.server();
    const { client } = h.client({ registers: [address], role: 'client' });
    expect(() => client.updateStats({ clients: 1, uids: 0, groups: 0, workers: 0, pending: 0 })).toThrow(
      expect.objectContaining({ code: RegisterErrorCode.WrongRole }),
    );
    expect(() => client.updateWorker(workerInfo('w'))).toThrow(expect.objectContaining({ code: RegisterErrorCode.WrongRole }));
  });

  it('a listener that throws does not break the register link', async () => {
    const { address } = await h.server();
    const { client: worker, logger } = h.client({ registers: [address], role: 'client' });
    worker.on('gateway-up', () => {
      throw new Error('listener bug');
    });
    await worker.ready();
    const { client: gw } = h.client({ registers: [address], role: 'gateway', gateway: gatewayInfo('gw000000000d') });
    await gw.ready();
    await logger.waitFor((l) => l.level === 'error' && l.msg.includes('listener threw'));
    h.client({ registers: [address], role: 'gateway', gateway: gatewayInfo('gw000000000e') });
    await logger.waitFor((l) => l.msg === 'gateway up' && l.obj['gatewayId'] === 'gw000000000e');
    expect([...worker.gateways().keys()].sort()).toEqual(['gw000000000d', 'gw000000000e']);
  });
});
