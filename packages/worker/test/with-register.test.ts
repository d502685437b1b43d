import { afterEach, describe, expect, it } from 'vitest';
import { Op } from '@gateworker/protocol';
import { RegisterClient, RegisterServer } from '@gateworker/register';
import { BusinessWorker } from '../src/business-worker.js';
import { GatewayClient } from '../src/gateway-client.js';
import { FakeGateway, SECRET } from './fake-gateway.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A register on an ephemeral port and a fake gateway announced to it. */
async function cluster(): Promise<{ register: string; gateway: FakeGateway; announcer: RegisterClient }> {
  const server = new RegisterServer({ listen: { host: '127.0.0.1', port: 0 }, secret: SECRET, nodeId: 'reg' });
  const { port } = await server.start();
  cleanups.push(() => server.close());
  const register = `127.0.0.1:${port}`;
  const gateway = await new FakeGateway().start();
  cleanups.push(() => gateway.close());
  const announcer = new RegisterClient({ registers: [register], secret: SECRET, role: 'gateway', nodeId: 'gw', gateway: gateway.info() });
  announcer.start();
  cleanups.push(() => announcer.close());
  await announcer.ready(5000);
  return { register, gateway, announcer };
}

describe('with a real register', () => {
  it('a BusinessWorker finds the gateway through the register; gateway-down alone does not close a healthy link', async () => {
    const { register, gateway, announcer } = await cluster();
    const w = new BusinessWorker({ handler: {}, registers: [register], secret: SECRET, nodeId: 'n', readyTimeoutMs: 5000, drainTimeoutMs: 300 });
    cleanups.push(() => w.destroy());
    await w.start();
    const link = await gateway.link();
    await link.next(Op.WorkerReady);
    expect(w.info().gateways).toBe(1);
    await announcer.close();
    // The register reports the gateway down; the link still carries commands.
    await w.gateway.sendToAll('after gateway-down');
    expect(await link.next(Op.SendToAll)).toMatchObject({ payload: Buffer.from('after gateway-down') });
    expect(link.closed).toBe(false);
    await w.close();
    expect(w.state).toBe('closed');
  });

  it('a GatewayClient connects on first use, sends and queries', async () => {
    const { register, gateway } = await cluster();
    const client = new GatewayClient({ registers: [register], secret: SECRET });
    cleanups.push(() => client.close());
    await client.sendToAll('hello');
    const link = await gateway.link();
    expect(link.peerRole).toBe('client');
    const sent = await link.next(Op.SendToAll);
    expect(sent).toMatchObject({ exclude: [], binary: false, payload: Buffer.from('hello') });
    link.answer = (q) => (q.kind === 5 ? 41 : null);
    expect(await client.getAllClientCount()).toBe(41);
    await client.close();
    await expect(client.sendToAll('x')).rejects.toMatchObject({ code: 'GW_ERR_CLOSED' });
  });

  it('GatewayClient.ready() names the register problem when no register answers', async () => {
    const client = new GatewayClient({ registers: ['127.0.0.1:1'], secret: SECRET });
    cleanups.push(() => client.close());
    await expect(client.ready(300)).rejects.toThrow();
  });

  it('GatewayClient methods fail while no register has ever answered, instead of acting on an empty list', async () => {
    const client = new GatewayClient({ registers: ['127.0.0.1:1'], secret: SECRET, queryTimeoutMs: 200 });
    cleanups.push(() => client.close());
    await expect(client.getAllClientCount()).rejects.toThrow();
    await expect(client.sendToAll('x')).rejects.toThrow();
  });
});
