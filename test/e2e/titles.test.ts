import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../helpers/cluster.js';

/** What `ps` shows for a process: Linux's view of its command line (process.title writes over it). */
function psLine(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ');
}

let cluster: Cluster | null = null;
afterEach(async () => {
  await cluster?.stop();
  cluster = null;
});

describe.runIf(process.platform === 'linux')('process titles', () => {
  it('every process says what it is: supervisor <config>, register <address>, gateway <k> <urls>, worker <k> <handler>', async () => {
    cluster = await startCluster({ gateways: 2, workers: 2, handler: 'export default { onMessage(c, m) { c.send(m); } };' });
    const ready = await cluster.waitForLog((l) => l.msg === 'cluster ready');
    const children = ready['children'] as { role: string; index: number; pid: number }[];
    expect(psLine(cluster.pid)).toBe(`gateworker supervisor ${cluster.configFile}`);
    const titles = children.map((c) => psLine(c.pid)).sort();
    expect(titles).toEqual(
      [
        `gateworker gateway 0 ${cluster.wsUrl}`,
        `gateworker gateway 1 ${cluster.wsUrl}`,
        `gateworker register ${cluster.registerAddress}`,
        'gateworker worker 0 handler.mjs',
        'gateworker worker 1 handler.mjs',
      ].sort(),
    );
  }, 60_000);
});
