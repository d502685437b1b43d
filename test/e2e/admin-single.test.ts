import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseExposition, sum } from '../helpers/admin.js';
import { CLI } from '../helpers/cluster.js';
import { cliEnv } from '../helpers/cli.js';

let proc: ChildProcess | null = null;
let dir: string | null = null;
afterEach(async () => {
  if (proc !== null && proc.exitCode === null && proc.signalCode === null) {
    const exited = new Promise((resolve) => proc!.once('exit', resolve));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc?.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  proc = null;
  if (dir !== null) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

/** Runs a CLI command; resolves with the admin URL from its log, or the exit code and stderr if it exits first. */
function run(args: string[]): Promise<{ admin: string } | { code: number | null; stderr: string }> {
  dir = mkdtempSync(join(tmpdir(), 'gw-admin-'));
  const env = cliEnv(dir);
  const p = spawn(process.execPath, [CLI, ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  proc = p;
  return new Promise((resolve) => {
    let out = '';
    let stderr = '';
    p.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    p.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      const m = /"admin":"([^"]+)"/.exec(out);
      if (m !== null) resolve({ admin: m[1] as string });
    });
    p.once('exit', (code) => resolve({ code, stderr }));
  });
}

describe('admin endpoint of a single-role process', () => {
  it('a register serves its own /metrics and /readyz; with a token every request needs it', async () => {
    const r = await run(['register', '--listen', '127.0.0.1:0', '--set', 'admin.listen=127.0.0.1:0', '--set', 'admin.token=s3cret-token']);
    if (!('admin' in r)) throw new Error(`register exited (${r.code}): ${r.stderr}`);
    expect((await fetch(new URL('metrics', r.admin))).status).toBe(401);
    expect((await fetch(new URL('metrics', r.admin), { headers: { Authorization: 'Bearer wrong-token!' } })).status).toBe(401);
    const res = await fetch(new URL('metrics', r.admin), { headers: { Authorization: 'Bearer s3cret-token' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const series = parseExposition(await res.text());
    expect(sum(series, 'gateworker_gateways', { role: 'register', index: '0' })).toBe(0);
    expect(sum(series, 'gateworker_up', { role: 'register' })).toBe(1);
    expect(series.some((s) => s.name === 'nodejs_heap_size_used_bytes' && s.labels['role'] === 'register')).toBe(true);
    const ready = await fetch(new URL('readyz?token=s3cret-token', r.admin));
    expect(ready.status).toBe(200);
  });

  it('admin.listen off loopback without a token: exit 2 naming admin.token', async () => {
    const r = await run(['register', '--listen', '127.0.0.1:0', '--set', 'admin.listen=0.0.0.0:0']);
    expect('code' in r && r.code).toBe(2);
    expect('stderr' in r && r.stderr).toContain('admin.token');
  });
});
