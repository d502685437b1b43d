import type { BusBridgeStats, ClusterStatus } from '@gateworker/protocol';
import type { Cluster } from './cluster.js';
import { gatewayOf, RpcClient } from './rpc.js';

/**
 * Clients for the bus end-to-end tests, on a cluster of two gateways running the ops handler:
 * a and c on one gateway, b and d on the other. a and b are uid u1 (one uid across gateways),
 * c is uid u2; a and b are in group "room", d in group "other".
 */
export interface BusClients {
  a: RpcClient;
  b: RpcClient;
  c: RpcClient;
  d: RpcClient;
  /** The four above. */
  all: RpcClient[];
  name(client: RpcClient): string;
  /** Another client with no uid or group (closed by closeAll). */
  extra(): Promise<RpcClient>;
  closeAll(): Promise<void>;
}

export async function busClients(cluster: Cluster): Promise<BusClients> {
  const opened: RpcClient[] = [];
  const connect = async () => {
    const client = await RpcClient.connect(cluster.wsUrl);
    opened.push(client);
    return client;
  };
  // Which gateway process accepts a connection is up to the kernel: connect until both hold two.
  const byGateway = new Map<string, RpcClient[]>();
  for (let i = 0; i < 60 && [...byGateway.values()].filter((l) => l.length >= 2).length < 2; i++) {
    const client = await connect();
    const list = byGateway.get(gatewayOf(client.id)) ?? [];
    list.push(client);
    byGateway.set(gatewayOf(client.id), list);
  }
  const [first, second] = [...byGateway.values()].filter((l) => l.length >= 2);
  if (first === undefined || second === undefined) throw new Error('clients did not spread over both gateways');
  const [a, c] = first as [RpcClient, RpcClient];
  const [b, d] = second as [RpcClient, RpcClient];
  await a.call('client.bindUid', 'u1');
  await b.call('client.bindUid', 'u1');
  await c.call('client.bindUid', 'u2');
  await a.call('client.joinGroup', 'room');
  await b.call('client.joinGroup', 'room');
  await d.call('client.joinGroup', 'other');
  const four = [a, b, c, d];
  // Extra clients from the spreading loop stay connected but hold nothing; they must get nothing either.
  return {
    a,
    b,
    c,
    d,
    all: four,
    name: (x) => ['a', 'b', 'c', 'd'][four.indexOf(x)] ?? x.id,
    extra: connect,
    closeAll: async () => {
      await Promise.all(opened.map((x) => x.close().catch(() => {})));
    },
  };
}

/** Pushes a client receives up to (not including) `fence`. */
export async function collectUntilFence(client: RpcClient, fence: string, timeoutMs = 10_000): Promise<string[]> {
  const got: string[] = [];
  for (;;) {
    const m = await client.nextPush(timeoutMs);
    if (m === fence) return got;
    got.push(m);
  }
}

/** `gateworker status --json`: every gateway's bus bridges, ordered by gateway id. */
export async function statusBus(cluster: Cluster): Promise<BusBridgeStats[]> {
  const r = await cluster.cli(['status', '--json']);
  if (r.code !== 0) throw new Error(`status exited ${r.code}: ${r.stderr}`);
  const status = JSON.parse(r.stdout) as ClusterStatus;
  return [...status.gateways].sort((x, y) => x.gatewayId.localeCompare(y.gatewayId)).flatMap((g) => g.stats.bus ?? []);
}
