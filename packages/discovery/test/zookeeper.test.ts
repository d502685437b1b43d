import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend, type DiscoveryBackend } from '@gateworker/discovery';
import { expectOneClose, gatewayRecord } from './backend-contract.js';
import { eventually } from '../../../test/helpers/wait.js';
import { startZooKeeper, type ZooKeeperServer } from '../../../test/helpers/zookeeper-server.js';

// The ZooKeeper backend against a real ZooKeeper (one JVM for the file): publish / watch between
// two sessions, stats updates, withdrawal, two clusters on one ensemble, and an outage (view
// kept, records there again after it).

let zk: ZooKeeperServer;
const open: DiscoveryBackend[] = [];

beforeAll(async () => {
  zk = await startZooKeeper(60_000);
}, 90_000);

afterAll(async () => {
  for (const b of open) await b.close().catch(() => {});
  await zk?.stop();
});

function backend(cluster: string, sessionTimeoutMs = 4_000): DiscoveryBackend {
  const b = createBackend({ zookeeper: { servers: zk.servers, sessionTimeoutMs }, cluster });
  open.push(b);
  b.start();
  return b;
}

describe('ZooKeeper discovery', () => {
  it('publishes a record another session sees, updates it, withdraws it', async () => {
    const a = backend('pub');
    const b = backend('pub');
    await Promise.all([a.ready(10_000), b.ready(10_000)]);
    const g = gatewayRecord('127.0.0.1:4001');
    a.publish(g);
    await eventually(() => b.gateways().get(g.gatewayId)?.address === '127.0.0.1:4001', 5_000, 'the record');
    a.publish({ ...g, stats: { ...g.stats, clients: 7 } });
    // Stats changes set no child watch: a fresh read (what status does) sees them.
    const reader = backend('pub');
    await eventually(() => reader.gateways().get(g.gatewayId)?.stats.clients === 7, 5_000, 'stats update');
    a.unpublish(g.gatewayId);
    await eventually(() => !b.gateways().has(g.gatewayId), 5_000, 'withdrawal');
  });

  it('close() twice returns one promise and emits close once; destroy() during close() does not emit it again', async () => {
    await expectOneClose(backend('lifecycle'), backend('lifecycle'), 10_000);
  });

  it('a closed session takes its records with it; clusters stay apart', async () => {
    const a = backend('alpha');
    const x = backend('beta');
    const b = backend('alpha');
    await Promise.all([a.ready(10_000), b.ready(10_000), x.ready(10_000)]);
    const g = gatewayRecord('127.0.0.1:4002');
    const gx = gatewayRecord('127.0.0.1:4003');
    a.publish(g);
    x.publish(gx);
    await eventually(() => b.gateways().has(g.gatewayId) && x.gateways().has(gx.gatewayId), 5_000, 'both records');
    expect(b.gateways().has(gx.gatewayId)).toBe(false);
    expect(x.gateways().has(g.gatewayId)).toBe(false);
    await a.close();
    await eventually(() => !b.gateways().has(g.gatewayId), 5_000, "the closed session's record gone");
  });

  it('an outage keeps the view; after it the records are there again and new ones are followed', async () => {
    const a = backend('outage', 2_000);
    const b = backend('outage', 2_000);
    await Promise.all([a.ready(10_000), b.ready(10_000)]);
    const g = gatewayRecord('127.0.0.1:4006');
    a.publish(g);
    await eventually(() => b.gateways().has(g.gatewayId), 5_000, 'the record');
    const downs: string[] = [];
    b.on('gateway-down', (id) => downs.push(id));
    await zk.kill();
    await eventually(() => !b.connected, 10_000, 'disconnect noticed');
    await new Promise((r) => setTimeout(r, 5_000)); // longer than the session timeout: nothing may be dropped meanwhile
    expect(downs).toEqual([]);
    expect(b.gateways().has(g.gatewayId)).toBe(true);
    await zk.restart();
    await eventually(() => a.connected && b.connected, 30_000, 'reconnected');
    await eventually(() => b.gateways().has(g.gatewayId), 15_000, 'record after the outage');
    const g2 = gatewayRecord('127.0.0.1:4007');
    a.publish(g2);
    await eventually(() => b.gateways().has(g2.gatewayId) && b.gateways().has(g.gatewayId), 15_000, 'both records after the outage');
  }, 90_000);
});
