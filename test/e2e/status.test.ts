import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { childPids } from '../helpers/admin.js';
import { connectWs, type WsClient } from '../helpers/clients.js';
import { CLI, startCluster, type Cluster } from '../helpers/cluster.js';
import { runCli } from '../helpers/cli.js';
import { eventually } from '../helpers/wait.js';

const ECHO = `export default { onMessage(client, message) { client.send(message); } };`;

interface StatusJson {
  source: string;
  at: number;
  processes: { role: string; index: number; process: { pid: number; uptimeMs: number; rssBytes: number; cpuPercent: number; restarts: number } }[];
  gateways: { gatewayId: string; stats: { clients: number }; counters: Record<string, number>; listeners: { url: string }[] }[];
  totals: { processes: number; rssBytes: number; gateways: { clients: number; refused: number; dropped: number; poison: number } };
  readiness: { ready: boolean };
}

let cluster: Cluster | null = null;
const clients: WsClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => {});
  await cluster?.stop();
  cluster = null;
});

describe('gateworker status', () => {
  it('under start: every process with pid, uptime, RSS, CPU and restarts; gateway counters and totals, fresh', async () => {
    cluster = await startCluster({ gateways: 1, workers: 2, handler: ECHO, logLevel: 'warn' });
    const before = Date.now();
    clients.push(await connectWs(cluster.wsUrl), await connectWs(cluster.wsUrl));
    const r = await cluster.cli(['status', '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as StatusJson;
    expect(s.source).toBe('supervisor');
    expect(s.at).toBeGreaterThanOrEqual(before);
    expect(s.processes.map((p) => `${p.role} ${p.index}`)).toEqual(['supervisor 0', 'register 0', 'gateway 0', 'worker 0', 'worker 1']);
    expect(s.processes[0]?.process.pid).toBe(cluster.pid);
    for (const p of s.processes) {
      expect(p.process.pid).toBeGreaterThan(0);
      expect(p.process.uptimeMs).toBeGreaterThan(0);
      expect(p.process.rssBytes).toBeGreaterThan(1024 * 1024);
      expect(p.process.cpuPercent).toBeGreaterThanOrEqual(0);
      expect(p.process.restarts).toBe(0);
    }
    // Asked now, not from a periodic report: both clients show at once.
    expect(s.gateways[0]?.stats.clients).toBe(2);
    expect(s.gateways[0]?.counters).toMatchObject({
      clientsAccepted: 2,
      clientsRejected: 0,
      heartbeatTimeouts: 0,
      slowClientCloses: 0,
      redeliveredEvents: 0,
    });
    expect(s.totals.processes).toBe(5);
    expect(s.totals.rssBytes).toBe(s.processes.reduce((n, p) => n + p.process.rssBytes, 0));
    expect(s.totals.gateways).toMatchObject({ clients: 2, refused: 0, dropped: 0, poison: 0 });
    expect(s.readiness.ready).toBe(true);

    const text = await cluster.cli(['status']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/PROCESS\s+PID\s+UPTIME\s+RSS\s+CPU%\s+RESTARTS/);
    expect(text.stdout).toMatch(/DROPPED\s+SLOW-CLOSES\s+REFUSED\s+REDELIVERED\s+HB-TIMEOUTS\s+POISON/);
    expect(text.stdout).toMatch(/^TOTAL\s+5 processes/m);
    expect(text.stdout).toMatch(/^TOTAL\s+2\s+0\s+0\s+1\s/m);

    // A crashed worker is restarted and counted.
    const [victim] = childPids(cluster, 'worker');
    process.kill(victim as number, 'SIGKILL');
    const after = await eventually(
      async () => {
        const j = JSON.parse((await cluster!.cli(['status', '--json'])).stdout) as StatusJson;
        const w = j.processes.find((p) => p.role === 'worker' && p.index === 0);
        return w !== undefined && w.process.restarts === 1 && w.process.pid !== victim ? j : null;
      },
      20_000,
      'the killed worker restarted',
      200,
    );
    expect(after.totals.processes).toBe(5);
  });

  it('--watch repaints every second until interrupted', async () => {
    cluster = await startCluster({ gateways: 1, workers: 1, handler: ECHO, logLevel: 'warn' });
    const p = spawn(process.execPath, [CLI, 'status', '--watch', '-c', cluster.configFile], { env: cluster.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    try {
      await eventually(() => ((out.match(/^cluster /gm) ?? []).length >= 2 ? true : null), 10_000, 'two status refreshes', 50);
    } finally {
      p.kill('SIGINT');
    }
    expect(await new Promise((resolve) => p.once('exit', resolve))).toBe(0);
  });

  it('with nothing running: "no cluster running for <config>", exit 1, without waiting', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-status-'));
    try {
      const file = join(dir, 'gateworker.yaml');
      writeFileSync(file, 'register: { listen: 127.0.0.1:0 }\n'); // nothing binds it: no cluster runs
      const started = Date.now();
      const r = await runCli(['status', '-c', file], { env: { ...process.env, GATEWORKER_RUN_DIR: dir } });
      console.log(`status with no cluster answered in ${Date.now() - started} ms`);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`no cluster running for ${file}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
