import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { OPS_HANDLER, RpcClient } from '../helpers/rpc.js';

// The GatewayWorker calls gateworker adds under their names (docs/gatewayworker-parity.md),
// across two gateway processes: uids and groups whose members sit on either gateway.

let cluster: Cluster;
const clients: RpcClient[] = [];

beforeAll(async () => {
  cluster = await startCluster({ gateways: 2, workers: 2, handler: OPS_HANDLER });
  for (let i = 0; i < 5; i++) clients.push(await RpcClient.connect(cluster.wsUrl));
  const [a, b, c, d, e] = clients as [RpcClient, RpcClient, RpcClient, RpcClient, RpcClient];
  await a.call('client.bindUid', 'u1');
  await b.call('client.bindUid', 'u1');
  await c.call('client.bindUid', 'u2');
  await d.call('client.bindUid', 'u3');
  for (const cl of [a, b, c, e]) await cl.call('client.joinGroup', 'g1');
  await d.call('client.joinGroup', 'g2');
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((cl) => cl.close().catch(() => {})));
  await cluster?.stop();
});

describe('GatewayWorker parity calls', () => {
  it('getAllUidCount counts distinct uids, not clients', async () => {
    expect(await clients[0]!.call('getAllUidCount')).toBe(3);
  });

  it('getUidListByGroup lists the distinct uids of a group (unbound members add none)', async () => {
    expect(((await clients[0]!.call('getUidListByGroup', 'g1')) as string[]).sort()).toEqual(['u1', 'u2']);
    expect(await clients[0]!.call('getUidListByGroup', 'nobody')).toEqual([]);
  });

  it('getAllGroupCount counts groups with members', async () => {
    expect(await clients[0]!.call('getAllGroupCount')).toBe(2);
  });

  it('isUidsOnline answers for each uid', async () => {
    expect(await clients[0]!.call('isUidsOnline', ['u1', 'u3', 'ghost'])).toEqual({ u1: true, u3: true, ghost: false });
  });
});
