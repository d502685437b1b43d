// First: the helper hands protobufjs its Long before etcd3 loads (see the helper).
import { startEtcd, type EtcdServer } from '../../../test/helpers/etcd.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayInfo } from '@gateworker/protocol';
import { Etcd3 } from 'etcd3';
import { createBackend, type DiscoveryBackend } from '@gateworker/discovery';
import { expectOneClose, gatewayRecord } from './backend-contract.js';
import { eventually, nextEvent } from '../../../test/helpers/wait.js';

// The etcd backend against a real etcd: publish / watch between two sessions, stats updates,
// withdrawal, lease expiry after a "crash", two clusters on one etcd, a bad record, and outages.

let etcd: EtcdServer;
const open: DiscoveryBackend[] = [];

beforeAll(async () => {
  etcd = await startEtcd();
}, 30_000);

afterAll(async () => {
  for (const b of open) await b.close().catch(() => {});
  await etcd?.stop();
});

function backend(cluster: string, ttlMs = 2_000): DiscoveryBackend {
  const b = createBackend({ etcd: { endpoints: [etcd.endpoint], ttlMs }, cluster });
  open.push(b);
  b.start();
  return b;
}

describe('etcd discovery', () => {
  it('publishes a record another session sees, updates it, withdraws it', async () => {
    const a = backend('pub');
    const b = backend('pub');
    await Promise.all([a.ready(5_000), b.ready(5_000)]);
    const g = gatewayRecord('127.0.0.1:4001');
    const up = nextEvent<[GatewayInfo]>(b, 'gateway-up', (i) => i.gatewayId === g.gatewayId, 5_000);
    a.publish(g);
    expect((await up)[0].address).toBe('127.0.0.1:4001');
    a.publish({ ...g, stats: { ...g.stats, clients: 7 } });
    await eventually(() => b.gateways().get(g.gatewayId)?.stats.clients === 7, 5_000, 'stats update');
    const down = nextEvent<[string]>(b, 'gateway-down', (id) => id === g.gatewayId, 5_000);
    a.unpublish(g.gatewayId);
    await down;
  });

  it('close() twice returns one promise and emits close once; destroy() during close() does not emit it again', async () => {
    await expectOneClose(backend('lifecycle'), backend('lifecycle'), 5_000);
  });

  it('a session that dies without withdrawing: its records vanish within the TTL', async () => {
    const a = backend('crash', 2_000);
    const b = backend('crash');
    await Promise.all([a.ready(5_000), b.ready(5_000)]);
    const g = gatewayRecord('127.0.0.1:4002');
    const up = nextEvent<[GatewayInfo]>(b, 'gateway-up', (i) => i.gatewayId === g.gatewayId, 5_000);
    a.publish(g);
    await up;
    const down = nextEvent<[string]>(b, 'gateway-down', (id) => id === g.gatewayId, 2_000 + 2_000);
    const started = Date.now();
    a.destroy();
    await down;
    expect(Date.now() - started).toBeLessThanOrEqual(4_000);
  });

  it('keeps clusters apart on one etcd', async () => {
    const a = backend('alpha');
    const b = backend('beta');
    await Promise.all([a.ready(5_000), b.ready(5_000)]);
    const ga = gatewayRecord('127.0.0.1:4003');
    const gb = gatewayRecord('127.0.0.1:4004');
    const aSeesB = nextEvent<[GatewayInfo]>(a, 'gateway-up', (i) => i.gatewayId === gb.gatewayId, 1_500).then(
      () => true,
      () => false,
    );
    const upA = nextEvent<[GatewayInfo]>(a, 'gateway-up', (i) => i.gatewayId === ga.gatewayId, 5_000);
    const upB = nextEvent<[GatewayInfo]>(b, 'gateway-up', (i) => i.gatewayId === gb.gatewayId, 5_000);
    a.publish(ga);
    b.publish(gb);
    await Promise.all([upA, upB]);
    expect(await aSeesB).toBe(false);
    expect([...a.gateways().keys()]).toEqual([ga.gatewayId]);
    expect([...b.gateways().keys()]).toEqual([gb.gatewayId]);
  });

  it('skips a record that is not a gateway record', async () => {
    const b = backend('bad');
    await b.ready(5_000);
    const raw = new Etcd3({ hosts: [etcd.endpoint] });
    try {
      const g = gatewayRecord('127.0.0.1:4005');
      await raw.put('/gateworker/bad/gateways/junk').value('{"not":"a record"}');
      await raw.put(`/gateworker/bad/gateways/${g.gatewayId}`).value(JSON.stringify(g));
      await eventually(() => b.gateways().has(g.gatewayId), 5_000, 'the good record');
      expect(b.gateways().size).toBe(1);
    } finally {
      raw.close();
    }
  });

  it('an outage keeps the view; after it the records are there again, even on an emptied etcd', async () => {
    const a = backend('outage', 3_000);
    const b = backend('outage');
    await Promise.all([a.ready(5_000), b.ready(5_000)]);
    const g = gatewayRecord('127.0.0.1:4006');
    const up = nextEvent<[GatewayInfo]>(b, 'gateway-up', (i) => i.gatewayId === g.gatewayId, 5_000);
    a.publish(g);
    await up;
    const downs: string[] = [];
    b.on('gateway-down', (id) => downs.push(id));
    const lost = nextEvent(b, 'disconnected', () => true, 10_000);
    await etcd.kill();
    await lost;
    await new Promise((r) => setTimeout(r, 4_000)); // longer than the TTL: nothing may be dropped meanwhile
    expect(downs).toEqual([]);
    expect(b.gateways().has(g.gatewayId)).toBe(true);
    const back = nextEvent(b, 'connected', () => true, 20_000);
    await etcd.restart();
    await back;
    await eventually(() => b.gateways().has(g.gatewayId), 10_000, 'record after the outage');

    // A wiped etcd (all data lost): the publisher re-publishes, the watcher re-reads and follows.
    await etcd.restart({ wipe: true });
    const raw = new Etcd3({ hosts: [etcd.endpoint] });
    try {
      await eventually(
        async () => (await raw.get(`/gateworker/outage/gateways/${g.gatewayId}`)) !== null,
        15_000,
        'the record re-published after the wipe',
        200,
      );
    } finally {
      raw.close();
    }
    const g2 = gatewayRecord('127.0.0.1:4007');
    a.publish(g2);
    await eventually(() => b.gateways().has(g2.gatewayId) && b.gateways().has(g.gatewayId), 15_000, 'both records after the wipe');
  }, 90_000);
});
