import { parseBusMessage, routingKeysFor } from '@gateworker/bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busClients, collectUntilFence, statusBus, type BusClients } from '../helpers/bus.js';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { amqpPublisher, startRabbit, type AmqpPublisher, type RabbitServer } from '../helpers/rabbit.js';
import { gatewayOf, OPS_HANDLER, type RpcClient } from '../helpers/rpc.js';
import { eventually } from '../helpers/wait.js';

// A real rabbitmq-server (one for the file: it starts slowly) and, per mode, a cluster of two
// gateway processes started through the CLI with `bus.amqp`. An AMQP publish reaches exactly the
// addressed clients exactly once. Each check publishes the message and then a fence (sendToAll
// "fence-N") on the same channel: a queue keeps the publish order and each gateway applies in
// order, so what a client got before its fence is everything the message gave it.

let rabbit: RabbitServer;

beforeAll(async () => {
  rabbit = await startRabbit();
}, 150_000);

afterAll(async () => {
  await rabbit?.stop();
});

/** Routing keys a routing-mode publisher uses (docs/bus.md), from the message itself. */
function keysOf(message: unknown): string[] {
  const parsed = parseBusMessage(typeof message === 'string' ? message : JSON.stringify(message));
  return parsed.ok ? routingKeysFor(parsed.command) : ['all'];
}

function modeSuite(mode: 'fanout' | 'routing') {
  const exchange = `gw-test.${mode}`;
  let cluster: Cluster;
  let c: BusClients;
  let pub: AmqpPublisher;
  let fences = 0;

  const publish = (message: unknown, keys = keysOf(message)): void =>
    pub.publish(exchange, keys, typeof message === 'string' ? message : JSON.stringify(message));

  async function deliveries(message: unknown): Promise<Map<RpcClient, string[]>> {
    publish(message);
    const fence = `fence-${++fences}`;
    publish({ op: 'sendToAll', data: fence });
    const out = new Map<RpcClient, string[]>();
    for (const client of c.all) out.set(client, await collectUntilFence(client, fence));
    return out;
  }

  function expectOnly(got: Map<RpcClient, string[]>, expected: [RpcClient, string[]][]): void {
    const want = new Map(expected);
    for (const client of c.all) expect(got.get(client), `client ${c.name(client)}`).toEqual(want.get(client) ?? []);
  }

  /** Messages each gateway's amqp bridge received, by gateway id. */
  async function receivedByGateway(): Promise<Map<string, number>> {
    const r = await cluster.cli(['status', '--json']);
    const status = JSON.parse(r.stdout) as { gateways: { gatewayId: string; stats: { bus?: { bridge: string; received: number }[] } }[] };
    return new Map(status.gateways.map((g) => [g.gatewayId, g.stats.bus?.find((b) => b.bridge === 'amqp')?.received ?? -1]));
  }

  /** receivedByGateway() once two reads a stats period apart agree (gateways report every 2 s). */
  async function stableReceived(): Promise<Map<string, number>> {
    let last = await receivedByGateway();
    for (;;) {
      await new Promise((r) => setTimeout(r, 2_500)); // one stats period: the register's view catches up
      const now = await receivedByGateway();
      if ([...now].every(([g, n]) => last.get(g) === n)) return now;
      last = now;
    }
  }

  beforeAll(async () => {
    cluster = await startCluster({
      gateways: 2,
      workers: 1,
      handler: OPS_HANDLER,
      sections: { bus: { amqp: { url: rabbit.url, exchange, mode }, maxMessageSize: '4KiB' } },
    });
    await eventually(
      async () => {
        const b = await statusBus(cluster);
        return b.length === 2 && b.every((x) => x.state === 'ready');
      },
      30_000,
      'both bridges ready',
      250,
    );
    c = await busClients(cluster);
    pub = await amqpPublisher(rabbit.url);
    if (mode === 'routing') {
      // The clients' uids and groups were bound after the bridges were up: wait until their keys are
      // bound (a probe to each key arrives) before asserting exact deliveries.
      for (const [client, uid] of [
        [c.a, 'u1'],
        [c.b, 'u1'],
        [c.c, 'u2'],
      ] as const) {
        await eventually(
          async () => {
            publish({ op: 'sendToClient', id: client.id, data: 'probe' }, [`uid.${uid}`]);
            return (await client.nextPush(500).catch(() => null)) === 'probe';
          },
          15_000,
          'a probe through the bridge',
          0,
        );
      }
      for (const [client, group] of [
        [c.a, 'room'],
        [c.b, 'room'],
        [c.d, 'other'],
      ] as const) {
        await eventually(
          async () => {
            publish({ op: 'sendToClient', id: client.id, data: 'probe' }, [`group.${group}`]);
            return (await client.nextPush(500).catch(() => null)) === 'probe';
          },
          15_000,
          'a probe through the bridge',
          0,
        );
      }
      // Late probes still in flight end up before this fence; drop them.
      const fence = `fence-${++fences}`;
      publish({ op: 'sendToAll', data: fence });
      for (const client of c.all) await collectUntilFence(client, fence);
    }
  }, 120_000);

  afterAll(async () => {
    await pub?.close();
    await c?.closeAll();
    await cluster?.stop();
  });

  it('sendToUid reaches every client of the uid on both gateways, once', async () => {
    expectOnly(await deliveries({ op: 'sendToUid', uid: 'u1', data: 'to-u1' }), [
      [c.a, ['to-u1']],
      [c.b, ['to-u1']],
    ]);
    // Several uids in one message: one publish with CC in routing mode; a gateway holding two of the keys gets one copy.
    expectOnly(await deliveries({ op: 'sendToUid', uids: ['u1', 'u2'], data: 'to-u1-u2' }), [
      [c.a, ['to-u1-u2']],
      [c.b, ['to-u1-u2']],
      [c.c, ['to-u1-u2']],
    ]);
  });

  it('sendToGroup with exclude, and several groups', async () => {
    expectOnly(await deliveries({ op: 'sendToGroup', group: 'room', exclude: c.a.id, data: 'room' }), [[c.b, ['room']]]);
    expectOnly(await deliveries({ op: 'sendToGroup', groups: ['room', 'other'], data: 'both' }), [
      [c.a, ['both']],
      [c.b, ['both']],
      [c.d, ['both']],
    ]);
  });

  it('sendToAll with exclude; sendToClient by id and ids, text and binary', async () => {
    expectOnly(await deliveries({ op: 'sendToAll', exclude: [c.a.id, c.d.id], data: 'all' }), [
      [c.b, ['all']],
      [c.c, ['all']],
    ]);
    expectOnly(await deliveries({ op: 'sendToClient', id: c.b.id, data: 'just-b' }), [[c.b, ['just-b']]]);
    expectOnly(await deliveries({ op: 'sendToClient', ids: [c.a.id, c.d.id], dataBase64: Buffer.from('bin').toString('base64') }), [
      [c.a, ['bin']],
      [c.d, ['bin']],
    ]);
  });

  it('closeClient sends the last message and closes that client only', async () => {
    const victim = await c.extra();
    publish({ op: 'closeClient', id: victim.id, data: 'bye' });
    expect(await victim.nextPush()).toBe('bye');
    expect((await victim.ws.closed).code).toBe(1000);
    expectOnly(await deliveries({ op: 'sendToUid', uid: 'u2', data: 'still-here' }), [[c.c, ['still-here']]]);
  });

  it('garbage is ignored and counted by reason; delivery carries on', async () => {
    for (const bad of ['not json', '{"op":"sendToMoon","data":"x"}', '{"op":"sendToUid","uid":7,"data":"x"}']) publish(bad, ['all']);
    publish({ op: 'sendToAll', data: 'x'.repeat(5000) }, ['all']); // over maxMessageSize (4 KiB)
    expectOnly(await deliveries({ op: 'sendToUid', uid: 'u2', data: 'after-garbage' }), [[c.c, ['after-garbage']]]);
    await eventually(async () => {
      const rejected = (await statusBus(cluster)).map((x) => x.rejected);
      const sum = (k: string) => rejected.reduce((a, r) => a + (r[k] ?? 0), 0);
      return sum('not_json') === 2 && sum('unknown_op') === 2 && sum('invalid') === 2 && sum('too_large') === 2;
    }, 15_000);
  });

  if (mode === 'routing') {
    it('a gateway receives only what concerns its clients; a new uid gets bound', async () => {
      const before = await stableReceived();
      // u2 lives on c's gateway only: the other gateway's queue is not bound with uid.u2.
      expectOnly(await deliveries({ op: 'sendToUid', uid: 'u2', data: 'only-c' }), [[c.c, ['only-c']]]);
      const gc = gatewayOf(c.c.id);
      const gd = gatewayOf(c.d.id);
      await eventually(async () => (await receivedByGateway()).get(gc)! >= before.get(gc)! + 2, 15_000); // the message and the fence
      const after = await stableReceived();
      expect(after.get(gc)).toBe(before.get(gc)! + 2);
      expect(after.get(gd)).toBe(before.get(gd)! + 1); // the fence only

      // d binds a new uid: its gateway's queue gets bound with uid.late.
      await c.d.call('client.bindUid', 'late');
      await eventually(
        async () => {
          publish({ op: 'sendToUid', uid: 'late', data: 'late' });
          return (await c.d.nextPush(500).catch(() => null)) === 'late';
        },
        15_000,
        'a late uid probe through the bridge',
        0,
      );
      await c.d.call('client.unbindUid');
      const fence = `fence-${++fences}`;
      publish({ op: 'sendToAll', data: fence });
      for (const client of c.all) await collectUntilFence(client, fence);
    }, 60_000);

    it('the broker killed for 10 s and back: other traffic unaffected, the bridges rebind and resume', async () => {
      await rabbit.kill();
      const outageEnds = Date.now() + 10_000;
      let roundTrips = 0;
      while (Date.now() < outageEnds) {
        expect(await c.a.call('sendToUid', 'u2', `during-${roundTrips}`)).toBeNull();
        expect(await c.c.nextPush()).toBe(`during-${roundTrips}`);
        roundTrips++;
        await new Promise((r) => setTimeout(r, 250)); // pacing, not a wait for a result
      }
      expect(roundTrips).toBeGreaterThan(5);
      expect((await statusBus(cluster)).map((b) => b.state)).toEqual(['reconnecting', 'reconnecting']);
      await pub.close();
      await rabbit.start();
      // A RabbitMQ node takes seconds (tens on a loaded machine) to start.
      await eventually(
        async () => (await statusBus(cluster)).every((b) => b.state === 'ready' && b.connects === 2),
        150_000,
        'both bridges reconnected',
        250,
      );
      pub = await amqpPublisher(rabbit.url);
      // Bindings made from the clients' membership at reconnect: every target reached, once.
      expectOnly(await deliveries({ op: 'sendToUid', uids: ['u1', 'u2'], data: 'back' }), [
        [c.a, ['back']],
        [c.b, ['back']],
        [c.c, ['back']],
      ]);
      expectOnly(await deliveries({ op: 'sendToGroup', group: 'other', data: 'other-back' }), [[c.d, ['other-back']]]);
    }, 300_000);
  }
}

describe('AMQP bus, fanout mode, two gateway processes', () => modeSuite('fanout'));
describe('AMQP bus, routing mode, two gateway processes', () => modeSuite('routing'));

describe('routing-mode bindings against the broker', () => {
  it('bind on the first holder, unbind on the last, batched; a detached sync rebinds everything on attach', async () => {
    const { BindingSync } = await import('../../packages/bus/src/bindings.js');
    const { silentLogger } = await import('@gateworker/protocol/node');
    const pub = await amqpPublisher(rabbit.url);
    const exchange = `gw-test.bindings.${process.pid}`;
    const ch = pub.channel;
    // Not auto-delete: deleting the first queue below removes every binding, which would delete such an exchange.
    await ch.assertExchange(exchange, 'direct', { durable: false, autoDelete: false });
    const got: string[] = [];
    const waiting: ((s: string) => void)[] = [];
    const attachQueue = async () => {
      const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true });
      await ch.consume(
        queue,
        (m) => {
          if (m === null) return;
          const text = m.content.toString();
          got.push(text);
          waiting.shift()?.(text);
        },
        { noAck: true },
      );
      return queue;
    };
    /** Publishes to each key then to the fixed key; returns what arrived before that fence. */
    let n = 0;
    const reach = async (keys: string[]) => {
      got.length = 0;
      for (const k of keys) ch.publish(exchange, k, Buffer.from(k));
      const fence = `fence-${++n}`;
      ch.publish(exchange, 'all', Buffer.from(fence));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('fence not received')), 5_000);
        const check = (s: string) => (s === fence ? (clearTimeout(timer), resolve()) : waiting.push(check));
        if (got.includes(fence)) {
          clearTimeout(timer);
          resolve();
        } else waiting.push(check);
      });
      return got.filter((s) => !s.startsWith('fence-'));
    };

    const sync = new BindingSync(exchange, ['all'], 20, 1000, silentLogger);
    sync.change('uid.a', true);
    const first = await attachQueue();
    await sync.attach(ch, first);
    expect(sync.boundCount).toBe(2);
    expect(await reach(['uid.a', 'uid.b'])).toEqual(['uid.a']);
    sync.change('uid.b', true);
    sync.change('group.g', true);
    sync.change('uid.a', false);
    await sync.flush();
    expect(await reach(['uid.a', 'uid.b', 'group.g'])).toEqual(['uid.b', 'group.g']);
    // Toggled within one batch: ends bound.
    sync.change('uid.c', true);
    sync.change('uid.c', false);
    sync.change('uid.c', true);
    await sync.flush();
    expect(await reach(['uid.c'])).toEqual(['uid.c']);
    // Changes while detached are kept; a new queue gets every wanted key.
    sync.detach();
    await ch.deleteQueue(first); // what a lost connection does to an exclusive queue
    sync.change('uid.b', false);
    sync.change('uid.d', true);
    await sync.attach(ch, await attachQueue());
    expect(sync.boundCount).toBe(4); // all, group.g, uid.c, uid.d
    expect(await reach(['uid.a', 'uid.b', 'uid.c', 'uid.d', 'group.g'])).toEqual(['uid.c', 'uid.d', 'group.g']);
    await ch.deleteExchange(exchange);
    await pub.close();
  });
});
