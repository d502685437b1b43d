import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminUrlOf, scrape, sum } from '../helpers/admin.js';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { busClients, collectUntilFence, statusBus, type BusClients } from '../helpers/bus.js';
import type { RpcClient } from '../helpers/rpc.js';
import { eventually } from '../helpers/wait.js';

// A real redis-server and a cluster of two gateway processes started through the CLI with
// `bus.redis`: `redis-cli PUBLISH` reaches exactly the addressed clients, exactly once.
// Every check publishes the message and then a fence (sendToAll "fence-N"): Redis delivers a
// channel's messages in order and each gateway applies them in order, so what a client got
// before its fence is everything the message gave it.

const CHANNEL = 'gw-test:push';
let redis: RedisServer;
let cluster: Cluster;
let c: BusClients;
let fences = 0;

const publish = async (message: unknown): Promise<number> =>
  Number(await redis.cli('PUBLISH', CHANNEL, typeof message === 'string' ? message : JSON.stringify(message)));

/** Publishes `message`, then a fence; returns what each client received in between. */
async function deliveries(message: unknown): Promise<Map<RpcClient, string[]>> {
  expect(await publish(message)).toBe(2); // both gateway processes are subscribed
  const fence = `fence-${++fences}`;
  await publish({ op: 'sendToAll', data: fence });
  const out = new Map<RpcClient, string[]>();
  for (const client of c.all) out.set(client, await collectUntilFence(client, fence));
  return out;
}

function expectOnly(got: Map<RpcClient, string[]>, expected: [RpcClient, string[]][]): void {
  const want = new Map(expected);
  for (const client of c.all) expect(got.get(client), `client ${c.name(client)}`).toEqual(want.get(client) ?? []);
}

beforeAll(async () => {
  redis = await startRedis();
  cluster = await startCluster({
    gateways: 2,
    workers: 1,
    handler: (await import('../helpers/rpc.js')).OPS_HANDLER,
    sections: { bus: { redis: { url: redis.url, channel: CHANNEL }, maxMessageSize: '4KiB' }, admin: { listen: '127.0.0.1:0' } },
  });
  await eventually(async () => (await redis.cli('PUBSUB', 'NUMSUB', CHANNEL)).endsWith('2'), 20_000);
  c = await busClients(cluster);
}, 90_000);

afterAll(async () => {
  await c?.closeAll();
  await cluster?.stop();
  await redis?.stop();
});

describe('Redis bus, two gateway processes', () => {
  it('sendToUid reaches every client of the uid on both gateways, once', async () => {
    expectOnly(await deliveries({ op: 'sendToUid', uid: 'u1', data: 'to-u1' }), [
      [c.a, ['to-u1']],
      [c.b, ['to-u1']],
    ]);
    expectOnly(await deliveries({ op: 'sendToUid', uids: ['u1', 'u2', 'u1'], data: 'to-u1-u2' }), [
      [c.a, ['to-u1-u2']],
      [c.b, ['to-u1-u2']],
      [c.c, ['to-u1-u2']],
    ]);
  });

  it('sendToGroup (one or several, with exclude)', async () => {
    expectOnly(await deliveries({ op: 'sendToGroup', group: 'room', exclude: c.a.id, data: 'room' }), [[c.b, ['room']]]);
    expectOnly(await deliveries({ op: 'sendToGroup', groups: ['room', 'other'], data: 'both' }), [
      [c.a, ['both']],
      [c.b, ['both']],
      [c.d, ['both']],
    ]);
  });

  it('sendToAll with exclude', async () => {
    expectOnly(await deliveries({ op: 'sendToAll', exclude: [c.a.id, c.d.id], data: 'all' }), [
      [c.b, ['all']],
      [c.c, ['all']],
    ]);
  });

  it('sendToClient by id and ids, text and binary', async () => {
    expectOnly(await deliveries({ op: 'sendToClient', id: c.b.id, data: 'just-b' }), [[c.b, ['just-b']]]);
    expectOnly(await deliveries({ op: 'sendToClient', ids: [c.a.id, c.d.id], dataBase64: Buffer.from('bin').toString('base64') }), [
      [c.a, ['bin']],
      [c.d, ['bin']],
    ]);
  });

  it('closeClient sends the last message and closes that client only', async () => {
    const victim = await c.extra();
    expect(await publish({ op: 'closeClient', id: victim.id, data: 'bye' })).toBe(2);
    expect(await victim.nextPush()).toBe('bye');
    expect((await victim.ws.closed).code).toBe(1000);
    expectOnly(await deliveries({ op: 'sendToUid', uid: 'u2', data: 'still-here' }), [[c.c, ['still-here']]]);
  });

  it('garbage is ignored and counted by reason; delivery carries on', async () => {
    for (const bad of ['not json', '{"op":"sendToMoon","data":"x"}', '{"op":"sendToUid","uid":7,"data":"x"}', '[]']) {
      expect(await publish(bad)).toBe(2);
    }
    expect(await publish({ op: 'sendToAll', data: 'x'.repeat(5000) })).toBe(2); // over maxMessageSize (4 KiB)
    expectOnly(await deliveries({ op: 'sendToUid', uid: 'u2', data: 'after-garbage' }), [[c.c, ['after-garbage']]]);
    // Both gateways count every bad message (each received it).
    const bus = await eventually(async () => {
      const b = await statusBus(cluster);
      const rejected = b.map((x) => x.rejected);
      const sum = (k: string) => rejected.reduce((a, r) => a + (r[k] ?? 0), 0);
      return sum('not_json') === 2 && sum('unknown_op') === 2 && sum('invalid') === 4 && sum('too_large') === 2 ? b : null;
    }, 15_000);
    expect(bus.map((b) => [b.bridge, b.state])).toEqual([
      ['redis', 'ready'],
      ['redis', 'ready'],
    ]);
    // The text form: a BUS table with one row per gateway process's bridge.
    const text = await cluster.cli(['status']);
    expect(text.stdout).toMatch(/^BUS\s+BRIDGE\s+STATE\s+CONNECTS\s+RECEIVED\s+APPLIED\s+DELIVERIES\s+REJECTED$/m);
    expect(text.stdout.match(/^gateway \d\s+redis\s+ready\s+1\s+\d+\s+\d+\s+\d+\s+5$/gm)).toHaveLength(2);
    // The same counts on /metrics, per reason, summed over the two gateway processes.
    const series = await scrape(await adminUrlOf(cluster));
    expect(sum(series, 'gateworker_bus_rejected_total', { role: 'gateway', bridge: 'redis', reason: 'not_json' })).toBe(2);
    expect(sum(series, 'gateworker_bus_rejected_total', { role: 'gateway', bridge: 'redis', reason: 'too_large' })).toBe(2);
    expect(sum(series, 'gateworker_bus_rejected_total', { role: 'gateway', bridge: 'redis', reason: 'invalid' })).toBe(4);
    expect(sum(series, 'gateworker_bus_up', { role: 'gateway', bridge: 'redis' })).toBe(2);
    expect(cluster.logs.some((l) => l.msg?.startsWith('bus message ignored') && l['reason'] === 'not_json' && l['sample'] === 'not json')).toBe(true);
  });

  it('a Redis outage of 10 s leaves other traffic alone; the bridge resumes', async () => {
    await redis.kill();
    const outageEnds = Date.now() + 10_000;
    // Worker traffic during the outage: every round trip still works.
    let roundTrips = 0;
    while (Date.now() < outageEnds) {
      expect(await c.a.call('sendToUid', 'u2', `during-${roundTrips}`)).toBeNull();
      expect(await c.c.nextPush()).toBe(`during-${roundTrips}`);
      roundTrips++;
      await new Promise((r) => setTimeout(r, 250)); // pacing, not a wait for a result
    }
    expect(roundTrips).toBeGreaterThan(5);
    const down = await statusBus(cluster);
    expect(down.map((b) => b.state)).toEqual(['reconnecting', 'reconnecting']);
    expect(sum(await scrape(await adminUrlOf(cluster)), 'gateworker_bus_up', { role: 'gateway', bridge: 'redis' })).toBe(0);
    await redis.start();
    await eventually(async () => (await redis.cli('PUBSUB', 'NUMSUB', CHANNEL)).endsWith('2'), 20_000);
    expectOnly(await deliveries({ op: 'sendToUid', uid: 'u1', data: 'back' }), [
      [c.a, ['back']],
      [c.b, ['back']],
    ]);
    const up = await eventually(async () => {
      const b = await statusBus(cluster);
      return b.every((x) => x.state === 'ready' && x.connects === 2) ? b : null;
    }, 15_000);
    expect(up).toHaveLength(2);
  });
});
