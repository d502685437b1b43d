import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, within } from '../helpers/wait.js';

// Runs the whole benchmark suite once at tiny sizes so it cannot rot. No timing assertions:
// only that every scenario printed its JSON line with the numeric fields it promises.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TAG = `bench-smoke-${randomUUID()}`;
let child: ChildProcess | null = null;

/** Every process that inherited our tag (the bench, its loadgens, servers and the cluster). */
function taggedPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(`BENCH_SMOKE_TAG=${TAG}`)) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

function killTagged(): void {
  for (const pid of taggedPids()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Resolves with the tagged processes left once none is (they exit a moment after the bench), or after `ms`. */
async function taggedGone(ms: number): Promise<number[]> {
  await eventually(() => taggedPids().length === 0, ms, 'the processes the bench started to exit', 100).catch(() => {});
  return taggedPids();
}

afterAll(async () => {
  if (child !== null && child.exitCode === null && child.pid !== undefined) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    try {
      process.kill(-child.pid, 'SIGTERM'); // the bench kills what it started on SIGTERM
    } catch {
      // gone
    }
    await within(exited, 10_000, 'the bench to exit').catch(() => {});
  }
  await taggedGone(5_000);
  killTagged();
}, 30_000);

function get(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o === null || o === undefined ? undefined : (o as Record<string, unknown>)[k]), obj);
}

const EXPECT: Record<string, string[]> = {
  codec: [],
  connections: [
    'idle.ws.bare.rssPerConnKB',
    'idle.ws.gateway.rssPerConnKB',
    'idle.ws.gateway.heapPerConnKB',
    'idle.ws.gateway.alive',
    'idle.tcp.bare.rssPerConnKB',
    'idle.tcp.gateway.rssPerConnKB',
    'idle.tcp.gateway.alive',
    'total.connected',
    'total.alive',
  ],
  echo: ['bare.rtps', 'bare.p50', 'bare.p99', 'cluster.rtps', 'cluster.p50', 'cluster.p99', 'ratio'],
  fanout: [
    'runs.0.bare.deliveriesPerSec',
    'runs.0.sendToAll.deliveriesPerSec',
    'runs.0.sendToAll.lastDeliveryMs.max',
    'runs.0.sendToGroup.deliveriesPerSec',
    'runs.0.sendToUid.deliveriesPerSec',
    'ratio',
  ],
  ingest: ['bare.handledPerSec', 'cluster.sent', 'cluster.handled', 'cluster.handledPerSec'],
  bus: [
    'modes.redisPerUid.deliveriesPerSec',
    'modes.redisBatch.deliveriesPerSec',
    'modes.gatewayClientPerUid.deliveriesPerSec',
    'modes.gatewayClientBatch.deliveriesPerSec',
    'ratioPerUid',
    'ratioBatch',
  ],
  'metrics-overhead': ['off.rtps', 'on.rtps', 'on.scrapes', 'ratio', 'costPercent'],
  'reload-under-load': ['steady.p50', 'steady.p99', 'during.p99', 'reload.ms', 'sent', 'lost', 'duplicates', 'disconnects', 'ratio'],
};

describe('npm run bench --size tiny', () => {
  it('runs every scenario and prints one JSON line each with its numeric fields', async () => {
    const proc = spawn(process.execPath, ['bench/run.js', '--size', 'tiny'], {
      cwd: ROOT,
      env: { ...process.env, BENCH_SMOKE_TAG: TAG },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child = proc;
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | string | null>((resolve) => proc.on('exit', (c, s) => resolve(c ?? s)));

    const lines = stdout
      .split('\n')
      .filter((l) => l.startsWith('{"scenario":'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const byName = new Map(lines.map((l) => [l['scenario'] as string, l]));
    expect([...byName.keys()].sort(), stderr.slice(-3000)).toEqual(Object.keys(EXPECT).sort());
    for (const [name, fields] of Object.entries(EXPECT)) {
      const line = byName.get(name)!;
      expect(line['error'], `${name}: ${String(line['error'])}`).toBeUndefined();
      for (const f of fields) expect(typeof get(line, f), `${name}.${f} in ${JSON.stringify(line).slice(0, 2000)}`).toBe('number');
    }
    expect(code).toBe(0);
    // nothing the bench started is still running
    expect(await taggedGone(5_000)).toEqual([]);
  }, 240_000);
});
