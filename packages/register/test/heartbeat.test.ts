import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, Op, resolveLinkOptions } from '@gateworker/protocol';
import { connectLink, type Link } from '@gateworker/protocol/node';
import { FAST_LINK, gatewayInfo, Harness, SECRET, workerInfo } from './helpers.js';
import { nextEvent } from '../../../test/helpers/wait.js';

const h = new Harness();
afterEach(() => h.closeAll());

/** A scripted peer that sends no pings of its own, so pausing its socket makes it fall silent. */
async function silentPeer(address: string, role: 'gateway' | 'worker'): Promise<Link> {
  const [host, port] = address.split(':') as [string, string];
  const { link } = await connectLink({
    host,
    port: Number(port),
    secret: SECRET,
    role,
    nodeId: `fake-${role}`,
    link: resolveLinkOptions({ pingIntervalMs: 0 }),
  });
  h.add(() => link.destroy());
  return link;
}

describe('heartbeat', () => {
  it('a gateway that stops answering is removed within the link timeout and subscribers hear gateway-down', async () => {
    const { server, address, logger } = await h.server();
    const { client: worker } = h.client({ registers: [address], role: 'client' });
    await worker.ready();

    const fake = await silentPeer(address, 'gateway');
    const g = gatewayInfo('gw00000000hb');
    const up = nextEvent(worker, 'gateway-up', () => true, 3_000);
    fake.send({ op: Op.Announce, gateway: g });
    await up;

    const started = Date.now();
    const down = nextEvent<[string]>(worker, 'gateway-down', () => true, FAST_LINK.timeoutMs + FAST_LINK.pingIntervalMs + 500);
    fake.socket.pause(); // stops reading: the register's pings go unanswered
    expect((await down)[0]).toBe(g.gatewayId);
    expect(Date.now() - started).toBeLessThan(FAST_LINK.timeoutMs + FAST_LINK.pingIntervalMs + 500);
    expect(server.status().gateways).toEqual([]);
    await logger.waitFor((l) => l.level === 'warn' && l.obj['code'] === ErrorCode.HeartbeatTimeout);
  });

  it('a silent worker is removed from status likewise', async () => {
    const { server, address, logger } = await h.server();
    const fake = await silentPeer(address, 'worker');
    const listed = new Promise<void>((resolve) => {
      fake.onMessage = (m) => {
        if (m.op === Op.GatewayList) resolve();
      };
    });
    fake.send({ op: Op.Subscribe, worker: workerInfo('w-silent') });
    await listed;
    const { client } = h.client({ registers: [address], role: 'client' });
    expect((await client.status()).workers.map((w) => w.workerId)).toEqual(['w-silent']);

    fake.socket.pause();
    await logger.waitFor((l) => l.msg === 'worker gone', FAST_LINK.timeoutMs + FAST_LINK.pingIntervalMs + 500);
    expect(server.status().workers).toEqual([]);
    expect((await client.status()).workers).toEqual([]);
  });

  it('a worker whose link closes is removed from status at once', async () => {
    const { server, address, logger } = await h.server();
    const { client: worker } = h.client({ registers: [address], role: 'worker', worker: workerInfo('w-close') });
    await worker.ready();
    expect(server.status().workers.map((w) => w.workerId)).toEqual(['w-close']);
    await worker.close();
    await logger.waitFor((l) => l.msg === 'worker gone');
    expect(server.status().workers).toEqual([]);
  });
});
