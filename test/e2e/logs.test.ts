import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { iterator, parse, type ObjectNode } from '@humanwhocodes/momoa';
import { afterEach, describe, expect, it } from 'vitest';
import { connectWs } from '../helpers/clients.js';
import { CLI, startCluster, type Cluster } from '../helpers/cluster.js';
import { OPS_HANDLER, RpcClient } from '../helpers/rpc.js';

/** Keys that appear more than once in one object of a JSON text (JSON.parse keeps only the last). */
function duplicateKeys(text: string): string[] {
  const out: string[] = [];
  for (const { node, phase } of iterator(parse(text))) {
    if (node.type !== 'Object' || phase !== 'enter') continue;
    const seen = new Set<string>();
    for (const member of (node as ObjectNode).members) {
      const name = member.name.type === 'String' ? member.name.value : member.name.name;
      if (seen.has(name)) out.push(name);
      seen.add(name);
    }
  }
  return out;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

let cluster: Cluster | null = null;
afterEach(async () => {
  await cluster?.stop();
  cluster = null;
});

describe('logs', () => {
  it('duplicateKeys finds a repeated key at any depth', () => {
    expect(duplicateKeys('{"role":"a","x":{"b":1,"b":2},"role":"c"}').sort()).toEqual(['b', 'role']);
    expect(duplicateKeys('{"role":"a","children":[{"role":"b"}]}')).toEqual([]);
  });

  it('every line of a cluster run (debug level: start, clients, reload, stop) is JSON without a duplicate key', async () => {
    cluster = await startCluster({ gateways: 2, workers: 2, handler: OPS_HANDLER, logLevel: 'debug' });
    const client = await RpcClient.connect(cluster.wsUrl);
    expect(await client.call('getAllClientCount')).toBe(1);
    const reload = await cluster.cli(['reload']);
    expect(reload.code).toBe(0);
    expect(await client.call('getAllClientCount')).toBe(1);
    await client.close();
    const c = cluster;
    cluster = null;
    await c.stop();
    expect(c.rawLines.length).toBeGreaterThan(30);
    const problems: string[] = [];
    for (const line of c.rawLines) {
      let dups: string[];
      try {
        dups = duplicateKeys(line);
      } catch {
        problems.push(`not JSON: ${line}`);
        continue;
      }
      if (dups.length > 0) problems.push(`duplicate ${dups.join(', ')}: ${line}`);
    }
    expect(problems).toEqual([]);
    // Each process's lines carry its own role: a gateway's line never says worker.
    const roles = new Set(c.logs.map((l) => l.role));
    expect([...roles].sort()).toEqual(['gateway', 'register', 'supervisor', 'worker']);
  }, 90_000);

  it("a handler's console output goes through the logger, with the client id inside a callback", async () => {
    cluster = await startCluster({
      workers: 1,
      handler: `export default {
        onWorkerStart() { console.log('worker up %d', 42); },
        onMessage(client, message) { console.warn('got', String(message)); client.send('ok'); },
      };`,
    });
    const client = await connectWs(cluster.wsUrl);
    client.send('ping');
    expect(await client.next()).toBe('ok');
    const up = await cluster.waitForLog((l) => l.msg === 'worker up 42');
    expect(up).toMatchObject({ role: 'worker', from: 'console', level: 30 });
    expect(up['clientId']).toBeUndefined();
    const got = await cluster.waitForLog((l) => l.msg === 'got ping');
    expect(got).toMatchObject({ role: 'worker', from: 'console', level: 40 });
    expect(typeof got['clientId']).toBe('string');
    await client.close();
  }, 60_000);

  it('on a terminal the default cluster starts and stops in at most 25 lines, one per event, prefixed by role, no WARN', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-tty-'));
    // The built-in default (no config file), every address on port 0; the banner names the bound URL.
    const BANNER_URL = /an echo handler behind (ws:\/\/127\.0\.0\.1:[1-9]\d*\/)/;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      GATEWORKER_RUN_DIR: dir,
      GATEWORKER_REGISTER_LISTEN: '127.0.0.1:0',
      GATEWORKER_GATEWAY_LISTEN: 'ws://127.0.0.1:0/',
      GATEWORKER_GATEWAY_INTERNAL: '127.0.0.1:0',
    };
    // `script` gives the command a pseudo-terminal, as a person's shell does.
    const p = spawn('script', ['-qfec', `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} start`, '/dev/null'], {
      cwd: dir,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    const exited = new Promise<number | null>((resolve) => p.once('exit', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "cluster ready" within 30 s:\n${out}`)), 30_000);
        p.stdout.setEncoding('utf8').on('data', (c: string) => {
          out += c;
          if (out.includes('cluster ready') && BANNER_URL.test(out)) {
            clearTimeout(timer);
            resolve();
          }
        });
        void exited.then((code) => (clearTimeout(timer), reject(new Error(`exited (${code}):\n${out}`))));
      });
      const client = await connectWs(BANNER_URL.exec(out)?.[1] ?? '');
      client.send('hi');
      expect(await client.next()).toBe('hi');
      await client.close();
      const stop = spawn(process.execPath, [CLI, 'stop'], { cwd: dir, env, stdio: 'ignore' });
      await new Promise((resolve) => stop.once('exit', resolve));
      expect(await exited).toBe(0);
    } finally {
      p.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
    const lines = out
      .replace(ANSI, '')
      .split(/\r?\n/)
      .filter((l) => l.trim() !== '');
    expect(lines.length, lines.join('\n')).toBeLessThanOrEqual(25);
    const logLines = lines.filter((l) => /^\S+\s*\| \d\d:\d\d:\d\d\.\d{3} /.test(l));
    expect(logLines.length).toBeGreaterThanOrEqual(10);
    for (const prefix of ['supervisor', 'register', 'gateway0', 'worker0', 'worker1']) expect(logLines.some((l) => l.startsWith(prefix))).toBe(true);
    expect(lines.filter((l) => / (WARN|ERROR|FATAL) /.test(l))).toEqual([]);
    expect(logLines[logLines.length - 1]).toMatch(/^supervisor\s*\| .* stopped$/);
  }, 60_000);
});
