import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cluster.js';
import { startEtcd, type EtcdServer } from '../helpers/etcd.js';

const run = promisify(execFile);
let etcd: EtcdServer;
let dir: string;

beforeAll(async () => {
  etcd = await startEtcd();
  dir = mkdtempSync(join(tmpdir(), 'gw-config-cmd-'));
  writeFileSync(
    join(dir, 'gateworker.yaml'),
    `config:\n  etcd: { endpoints: ['${etcd.endpoint}'], key: /gw/cmd/config }\nregister: { listen: 127.0.0.1:0 }\nworker: { handler: ./app.js }\napp: { greeting: file }\n`,
  );
  writeFileSync(join(dir, 'good.yaml'), 'app:\n  greeting: bonjour\nlogLevel: debug\n');
  writeFileSync(join(dir, 'bad.yaml'), 'app:\n  greeting: x\nworker:\n  processes: lots\n');
});
afterAll(async () => {
  await etcd?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

async function gateworker(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args, '-c', join(dir, 'gateworker.yaml')], {
      cwd: dir,
      env: { PATH: process.env['PATH'] ?? '' },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('gateworker config get|diff|push (real etcd)', () => {
  it('get says there is no document yet', async () => {
    const r = await gateworker('config', 'get');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('no document');
  });

  it('diff shows key by key what a push would change; push writes it; get reads it back', async () => {
    const diff = await gateworker('config', 'diff', 'good.yaml');
    expect(diff.stdout).toContain('+ app: (unset) -> {"greeting":"bonjour"}');
    const push = await gateworker('config', 'push', 'good.yaml');
    expect(push.code).toBe(0);
    expect(push.stdout).toMatch(/pushed good\.yaml to etcd .* \(revision \d+\)/);
    const get = await gateworker('config', 'get');
    expect(get.stdout).toBe('app:\n  greeting: bonjour\nlogLevel: debug\n');
    expect((await gateworker('config', 'diff', 'good.yaml')).stdout).toContain('no differences');
  });

  it('push refuses an invalid document (exit 2, key and line named) and leaves the centre as it was', async () => {
    const push = await gateworker('config', 'push', 'bad.yaml');
    expect(push.code).toBe(2);
    expect(push.stderr).toContain('bad.yaml:4:14');
    expect(push.stderr).toContain('worker.processes');
    expect((await gateworker('config', 'get')).stdout).toContain('greeting: bonjour');
  });
});
