import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectWs } from '../helpers/clients.js';
import { runCli } from '../helpers/cli.js';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { OPS_HANDLER } from '../helpers/rpc.js';

function run(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  return runCli(args, { cwd: options.cwd ?? tmpdir(), env: options.env });
}

let cluster: Cluster | null = null;
afterEach(async () => {
  await cluster?.stop();
  cluster = null;
});

describe('gateworker CLI', () => {
  it('exits 2 naming the key and its position for a bad config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-cli-'));
    const file = join(dir, 'gateworker.yaml');
    writeFileSync(file, 'register:\n  listen: 127.0.0.1:1236\ngateway:\n  listen:\n    - url: ws://127.0.0.1:7272/\n  routing: sideways\n');
    const r = await run(['start', '-c', file], { env: { ...process.env, GATEWORKER_RUN_DIR: dir } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('gateway.routing');
    expect(r.stderr).toContain(`${file}:6:`);
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 2 on an unknown command or option', async () => {
    expect((await run(['launch'])).code).toBe(2);
    expect((await run(['start', '--no-such-flag'])).code).toBe(2);
  });

  it('`reload` and `stop` with nothing running fail clearly (exit 1)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-cli-'));
    const r = await run(['reload'], { env: { ...process.env, GATEWORKER_RUN_DIR: dir } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no running `gateworker start`');
    rmSync(dir, { recursive: true, force: true });
  });

  it('status prints the topology; stop stops everything', async () => {
    cluster = await startCluster({ gateways: 1, workers: 2, handler: OPS_HANDLER });
    const client = await connectWs(cluster.wsUrl);
    type Status = { gateways: { stats: { clients: number; workers: number } }[]; workers: { state: string }[] };
    // Under `start`, status asks every process now: the connected client shows at once.
    const json = await cluster.cli(['status', '--json']);
    expect(json.code).toBe(0);
    const status = JSON.parse(json.stdout) as Status;
    expect(status.gateways[0]?.stats.clients).toBe(1);
    expect(status.gateways).toHaveLength(1);
    expect(status.gateways[0]?.stats.workers).toBe(2);
    expect(status.workers.map((w) => w.state)).toEqual(['ready', 'ready']);
    const text = await cluster.cli(['status']);
    expect(text.stdout).toMatch(/PROCESS\s+PID\s+UPTIME\s+RSS\s+CPU%\s+RESTARTS/);
    expect(text.stdout).toMatch(/GATEWAY\s+CLIENTS\s+UIDS\s+GROUPS/);

    const closed = client.closed;
    const stop = await cluster.cli(['stop']);
    expect(stop.code).toBe(0);
    expect((await closed).code).toBe(1001);
    const pids = cluster.logs.flatMap((l) => (l['children'] as { pid: number }[] | undefined) ?? []).map((c) => c.pid);
    expect(pids.length).toBe(4);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  });
});
