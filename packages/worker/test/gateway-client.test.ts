import { afterEach, describe, expect, it } from 'vitest';
import { newGatewayId, Op } from '@gateworker/protocol';
import { GatewayClient } from '../src/gateway-client.js';
import { FakeGateway, SECRET } from './fake-gateway.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('GatewayClient with a static gateway list', () => {
  it('goes ahead with the gateways it has after a bounded wait, and names the missing one in query errors', async () => {
    const live = await new FakeGateway().start();
    cleanups.push(() => live.close());
    const deadId = newGatewayId();
    const client = new GatewayClient({
      gateways: [
        { gatewayId: live.gatewayId, address: live.address },
        { gatewayId: deadId, address: '127.0.0.1:1' },
      ],
      secret: SECRET,
      queryTimeoutMs: 300,
      reconnect: { minMs: 50, maxMs: 100 },
    });
    cleanups.push(() => client.close());
    await expect(client.ready(200)).rejects.toMatchObject({ code: 'GW_ERR_READY_TIMEOUT', missing: [`${deadId}@127.0.0.1:1`] });
    await client.sendToUid(['u1'], 'ping');
    const link = await live.link();
    expect(await link.next(Op.SendToUids)).toMatchObject({ uids: ['u1'], payload: Buffer.from('ping') });
    link.answer = () => ['u1'];
    const err = await client.getAllUids().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'GW_ERR_QUERY_TIMEOUT', missing: [`${deadId}@127.0.0.1:1`] });
    expect((err as Error).message).toContain(deadId);
    expect(await client.getAllUids({ partial: true })).toEqual({ partial: true, missing: [`${deadId}@127.0.0.1:1`], result: ['u1'] });
  });

  it('never receives client events: a gateway that sends one loses the link', async () => {
    const g = await new FakeGateway().start();
    cleanups.push(() => g.close());
    const client = new GatewayClient({
      gateways: [{ gatewayId: g.gatewayId, address: g.address }],
      secret: SECRET,
      reconnect: { minMs: 1000, maxMs: 1000 },
    });
    cleanups.push(() => client.close());
    await client.ready(2000);
    const link = await g.link();
    link.message(1, 'not for you');
    await link.until(() => link.closed, 5_000, 'the client to close the link');
  });
});
