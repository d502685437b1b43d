import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectWs } from '../helpers/clients.js';
import { processAlive } from '../helpers/cli.js';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/wait.js';

/**
 * Issue 11 item 3: SIGTERM to the whole process group (systemd KillMode=control-group, `timeout`,
 * `kill -TERM -- -<pgid>`) gives the same ordered stop as SIGTERM to the supervisor: gateways
 * first, so the workers still run every client's onClose; nothing dropped.
 */

// Echoes, and appends every onClose to closed.log next to the handler.
const HANDLER = `
import { appendFileSync } from 'node:fs';
const log = new URL('./closed.log', import.meta.url);
export default {
  onMessage(client, message) { client.send(message); },
  onClose(client) { appendFileSync(log, client.id + '\\n'); },
};
`;

let cluster: Cluster | null = null;
afterEach(async () => {
  await cluster?.stop();
  cluster = null;
});

describe('signals to the whole process group', () => {
  it('`kill -TERM -- -<pgid>` stops in order: every onClose runs, no event dropped, every process gone', async () => {
    // debug: each child logs why it stops.
    cluster = await startCluster({ gateways: 2, workers: 2, handler: HANDLER, detached: true, logLevel: 'debug' });
    const clients = await Promise.all(Array.from({ length: 6 }, () => connectWs(cluster!.wsUrl)));
    const ids: string[] = [];
    for (const [i, c] of clients.entries()) {
      c.send(`hello ${i}`);
      expect(await c.next()).toBe(`hello ${i}`);
    }
    const ready = await cluster.waitForLog((l) => l.msg === 'cluster ready');
    const children = (ready['children'] as { pid: number }[]).map((c) => c.pid);

    process.kill(-cluster.pid, 'SIGTERM');
    for (const c of clients) expect((await c.closed).code).toBe(1001);
    await cluster.waitForLog((l) => l.role === 'supervisor' && l.msg === 'stopped', 30_000);
    await eventually(() => ![cluster!.pid, ...children].some(processAlive), 10_000);

    const closedLog = join(cluster.dir, 'closed.log');
    const closed = existsSync(closedLog) ? readFileSync(closedLog, 'utf8').trim().split('\n') : [];
    ids.push(...closed);
    expect(ids).toHaveLength(clients.length);
    expect(new Set(ids).size).toBe(clients.length);
    const dropped = cluster.logs.filter((l) => /no worker took/i.test(String(l.msg)));
    expect(dropped).toEqual([]);
    // Every child logged that the supervisor asked it to stop, not that a signal stopped it.
    const reasons = cluster.logs.filter((l) => l.msg === 'stopping' && l.role !== 'supervisor').map((l) => l['why']);
    expect(reasons).toHaveLength(children.length);
    expect(new Set(reasons)).toEqual(new Set(['supervisor asked']));
  }, 60_000);

  it('SIGTERM to one gateway process alone stops and restarts just that one', async () => {
    cluster = await startCluster({ gateways: 2, workers: 1, handler: HANDLER });
    const ready = await cluster.waitForLog((l) => l.msg === 'cluster ready');
    const gateway0 = (ready['children'] as { role: string; index: number; pid: number }[]).find((c) => c.role === 'gateway' && c.index === 0)!;
    process.kill(gateway0.pid, 'SIGTERM');
    await cluster.waitForLog((l) => l.msg === 'gateway 0 got SIGTERM; stopping it');
    await cluster.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('gateway 0 restarted'));
    await eventually(() => !processAlive(gateway0.pid), 10_000);
    const client = await connectWs(cluster.wsUrl);
    client.send('after');
    expect(await client.next()).toBe('after');
    await client.close();
  }, 60_000);
});
