import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { connectWs } from '../helpers/clients.js';
import { processAlive } from '../helpers/cli.js';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/wait.js';

/** `gateworker reload` re-reads the config: worker.processes scales, a new worker.handler is used, the rest is named. */

const handler = (version: string) => `export default { onMessage(client) { client.send(${JSON.stringify(version)} + ' ' + process.pid); } };\n`;

let cluster: Cluster;
beforeAll(async () => {
  cluster = await startCluster({ gateways: 1, workers: 2, handler: handler('v1') });
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

function editConfig(change: (config: Record<string, any>) => void): void {
  const config = parse(readFileSync(cluster.configFile, 'utf8')) as Record<string, any>;
  change(config);
  writeFileSync(cluster.configFile, stringify(config));
}

/** Pids of the workers that answer now (asks until `count` distinct ones answered with `version`). */
async function answeringWorkers(version: string, count: number): Promise<Set<number>> {
  const pids = new Set<number>();
  await eventually(async () => {
    const ws = await connectWs(cluster.wsUrl);
    try {
      for (let i = 0; i < 8; i++) {
        ws.send('who');
        const [v, pid] = (await ws.next()).split(' ');
        if (v === version) pids.add(Number(pid));
      }
    } finally {
      await ws.close();
    }
    return pids.size >= count;
  }, 20_000);
  return pids;
}

describe('reload applies the edited config', () => {
  it('a new worker.handler and more worker.processes: 3 workers run the new handler; a changed listener is named, exit 0', async () => {
    writeFileSync(join(cluster.dir, 'handler-v2.mjs'), handler('v2'));
    editConfig((c) => {
      c.worker.handler = './handler-v2.mjs';
      c.worker.processes = 3;
      c.gateway.listen.push({ url: 'ws://127.0.0.1:0/extra' }); // never bound: reload does not apply it
    });
    const r = await cluster.cli(['reload']);
    expect(r.stderr).toContain('warning: not applied by reload (restart the cluster to apply): gateway.listen');
    expect(r.stdout).toMatch(/reloaded 3 workers in \d+ ms \(worker\.processes 2 → 3\)/);
    expect(r.code).toBe(0);
    expect((await answeringWorkers('v2', 3)).size).toBe(3);
  }, 60_000);

  it('fewer worker.processes: the extra workers drain and exit', async () => {
    const before = await answeringWorkers('v2', 3);
    editConfig((c) => {
      c.worker.processes = 1;
    });
    const r = await cluster.cli(['reload']);
    expect(r.stdout).toMatch(/reloaded 1 worker in \d+ ms \(worker\.processes 3 → 1\)/);
    expect(r.code).toBe(0);
    await eventually(() => [...before].every((pid) => !processAlive(pid)), 20_000);
    const now = await answeringWorkers('v2', 1);
    const ws = await connectWs(cluster.wsUrl);
    for (let i = 0; i < 5; i++) {
      ws.send('who');
      expect(Number((await ws.next()).split(' ')[1])).toBe([...now][0]);
    }
    await ws.close();
  }, 60_000);

  it('a config that no longer loads changes nothing: reload exits 1 naming the key, the workers keep serving', async () => {
    editConfig((c) => {
      c.worker.handler = './no-such-handler.mjs';
    });
    const r = await cluster.cli(['reload']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('reload failed: bad config:');
    expect(r.stderr).toContain('worker.handler');
    expect((await answeringWorkers('v2', 1)).size).toBe(1);
  }, 60_000);
});
