import { writeFileSync } from 'node:fs';
import { ZooKeeperCentre } from '@gateworker/centre';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import WebSocket from 'ws';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { startZooKeeper, type ZooKeeperServer } from '../helpers/zookeeper-server.js';
import { Inbox } from '../helpers/inbox.js';

/**
 * The other two live sources (the etcd one is test/e2e/live-config.test.ts, under load): a
 * ZooKeeper node and the watched local file. Each: a change reaches every worker, an invalid
 * version is refused whole and the running configuration stays.
 */

const HANDLER = `
let worker;
export default {
  onWorkerStart(w) { worker = w; },
  onMessage(client, message) { client.send(worker.config.greeting + '|' + message); },
};
`;

/** Asks `clients` (each its own connection, so different workers answer) until every reply carries `greeting`. */
async function everyoneSays(clients: { ws: WebSocket; replies: Inbox<string> }[], greeting: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let round = 0; ; round++) {
    const answers = await Promise.all(
      clients.map(async (c) => {
        c.ws.send(String(round));
        return (await c.replies.next(5_000, 'a reply')).split('|')[0];
      }),
    );
    if (answers.every((a) => a === greeting)) return;
    if (Date.now() > deadline) throw new Error(`not every worker says "${greeting}": ${JSON.stringify(answers)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function clientsOf(cluster: Cluster, count: number): Promise<{ ws: WebSocket; replies: Inbox<string> }[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const ws = new WebSocket(cluster.wsUrl);
      const replies = new Inbox<string>();
      ws.on('message', (d: Buffer) => replies.push(d.toString()));
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      return { ws, replies };
    }),
  );
}

const BASE = (extra: Record<string, unknown>) => ({ handler: HANDLER, workers: 2, sections: { app: { greeting: 'file-v1' }, ...extra } });

describe('live configuration from ZooKeeper (real server)', () => {
  let zk: ZooKeeperServer;
  let cluster: Cluster;
  let writer: ZooKeeperCentre;
  const PATH = '/gateworker/e2e/config';
  beforeAll(async () => {
    zk = await startZooKeeper();
    writer = new ZooKeeperCentre({ servers: zk.servers, path: PATH });
    await writer.write('app:\n  greeting: zk-v1\n');
    cluster = await startCluster(BASE({ config: { zookeeper: { servers: zk.servers, path: PATH } } }));
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
    await writer?.close();
    await zk?.stop();
  }, 60_000);

  it('starts on the node, applies a change to every worker, refuses an invalid one whole', async () => {
    const clients = await clientsOf(cluster, 8);
    await everyoneSays(clients, 'zk-v1');
    await writer.write('app:\n  greeting: zk-v2\n');
    await everyoneSays(clients, 'zk-v2');
    await writer.write('app:\n  greeting: zk-never\nlogLevel: loud\n');
    const refused = await cluster.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('config change refused'));
    expect(refused.msg).toContain('logLevel');
    await everyoneSays(clients, 'zk-v2');
    for (const c of clients) c.ws.close();
  }, 60_000);
});

describe('live configuration from the watched local file', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster(BASE({ config: { watch: true } }));
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  it('an edit of the file applies live; an invalid edit is refused and the running configuration stays', async () => {
    const clients = await clientsOf(cluster, 8);
    await everyoneSays(clients, 'file-v1');
    const { parse } = await import('yaml');
    const { readFileSync } = await import('node:fs');
    const original = parse(readFileSync(cluster.configFile, 'utf8')) as Record<string, unknown>;
    writeFileSync(cluster.configFile, stringify({ ...original, app: { greeting: 'file-v2' } }));
    await everyoneSays(clients, 'file-v2');
    writeFileSync(
      cluster.configFile,
      stringify({ ...original, app: { greeting: 'file-never' }, worker: { ...(original['worker'] as object), processes: 'many' } }),
    );
    const refused = await cluster.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('config change refused'));
    expect(refused.msg).toContain('worker.processes');
    await everyoneSays(clients, 'file-v2');
    for (const c of clients) c.ws.close();
  }, 60_000);
});
