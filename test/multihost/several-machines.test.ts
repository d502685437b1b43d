// First: the etcd helper hands protobufjs its Long before etcd3 loads (see the helper).
import { startEtcd, type EtcdServer } from '../helpers/etcd.js';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cluster.js';
import { cliEnv } from '../helpers/cli.js';

// docs/several-machines.md's three-host example, with three network namespaces as the hosts
// (joined by a bridge in a fourth): etcd on host A, `gateworker start` with two gateway processes
// on host B, `gateworker start` with two workers on host C. A client on host B is echoed by a
// worker on host C; `status` from host C lists host B's gateways. Needs root (CI runs as root).

const run = promisify(execFile);
const ROOT = process.getuid?.() === 0;
const PROBE = resolve(import.meta.dirname, '../fixtures/ws-probe.mjs');
const ECHO = resolve(import.meta.dirname, '../../bin/echo-handler.js');
const SECRET = `three-hosts-${randomBytes(12).toString('hex')}`;
const suffix = randomBytes(3).toString('hex');
const NS = { a: `gwd${suffix}a`, b: `gwd${suffix}b`, c: `gwd${suffix}c`, sw: `gwd${suffix}s` };
const IP = { a: '10.77.0.1', b: '10.77.0.2', c: '10.77.0.3' };
const created: string[] = [];
const procs: ChildProcess[] = [];
let dir: string;
let etcd: EtcdServer | null = null;

const ip = (...args: string[]) => run('ip', args);
const inNs = (ns: string, ...args: string[]) => run('ip', ['netns', 'exec', ns, ...args], { cwd: resolve(import.meta.dirname, '../..') });

async function makeHosts(): Promise<void> {
  for (const ns of Object.values(NS)) {
    await ip('netns', 'add', ns);
    created.push(ns);
    await ip('-n', ns, 'link', 'set', 'lo', 'up');
  }
  await ip('-n', NS.sw, 'link', 'add', 'br0', 'type', 'bridge');
  await ip('-n', NS.sw, 'link', 'set', 'br0', 'up');
  for (const host of ['a', 'b', 'c'] as const) {
    // One veth pair per host, created directly inside the namespaces (no names in the root namespace).
    await ip('link', 'add', 'eth0', 'netns', NS[host], 'type', 'veth', 'peer', 'name', `p${host}`, 'netns', NS.sw);
    await ip('-n', NS.sw, 'link', 'set', `p${host}`, 'master', 'br0', 'up');
    await ip('-n', NS[host], 'addr', 'add', `${IP[host]}/24`, 'dev', 'eth0');
    await ip('-n', NS[host], 'link', 'set', 'eth0', 'up');
  }
}

/** `gateworker start` on one host; resolves once it logs `cluster ready`. */
function startOn(ns: string, name: string, config: Record<string, unknown>): Promise<void> {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify(config));
  const env = cliEnv(join(dir, `run-${name}`));
  const p = spawn('ip', ['netns', 'exec', ns, process.execPath, CLI, 'start', '-c', file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(p);
  let out = '';
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`${name}: not ready within 60 s: ${out.slice(-2000)}`)), 60_000);
    const onData = (c: Buffer) => {
      out += c.toString();
      if (out.includes('"cluster ready"')) {
        clearTimeout(timer);
        p.stdout.off('data', onData);
        p.stdout.resume();
        res();
      }
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', (c: Buffer) => (out += c.toString()));
    p.once('exit', (code) => (clearTimeout(timer), rej(new Error(`${name} exited (${code}): ${out.slice(-2000)}`))));
  });
}

beforeAll(async () => {
  if (!ROOT) return;
  dir = mkdtempSync(join(tmpdir(), 'gw-hosts-'));
  await makeHosts();
  etcd = await startEtcd({ host: IP.a, ports: [2379, 2380], wrap: ['ip', 'netns', 'exec', NS.a] });
  const discovery = { etcd: { endpoints: [`http://${IP.a}:2379`] } };
  await startOn(NS.b, 'gateways', {
    secret: SECRET,
    cluster: 'prod',
    nodeId: 'host-b',
    discovery,
    gateway: { processes: 2, listen: [{ url: 'ws://0.0.0.0:7272/' }], internal: `${IP.b}:2900` },
  });
  await startOn(NS.c, 'workers', { secret: SECRET, cluster: 'prod', nodeId: 'host-c', discovery, worker: { processes: 2, handler: ECHO } });
}, 120_000);

afterAll(async () => {
  for (const p of procs) {
    if (p.exitCode !== null || p.signalCode !== null) continue;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    const timer = setTimeout(() => p.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
  await etcd?.stop();
  for (const ns of created) await ip('netns', 'del', ns).catch(() => {});
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe.skipIf(!ROOT)('three hosts (network namespaces): etcd, gateways, workers', () => {
  it("a client on the gateways' host is answered by a worker on another host", async () => {
    for (let i = 0; i < 4; i++) {
      // Several connections: both gateway processes (round-robin) reach the workers.
      const { stdout } = await inNs(NS.b, process.execPath, PROBE, `ws://${IP.b}:7272/`, `hello ${i}`);
      expect(stdout.trim()).toBe(`hello ${i}`);
    }
  });

  it("`status` on the workers' host lists the gateways of host B from etcd", async () => {
    const { stdout } = await inNs(NS.c, process.execPath, CLI, 'status', '--etcd', `http://${IP.a}:2379`, '--cluster', 'prod', '--json');
    const view = JSON.parse(stdout) as { source: string; cluster: string; gateways: { nodeId: string; address: string }[] };
    expect(view.source).toBe('discovery');
    expect(view.cluster).toBe('prod');
    expect(view.gateways.map((g) => `${g.nodeId} ${g.address}`).sort()).toEqual([`host-b ${IP.b}:2900`, `host-b ${IP.b}:2901`]);
  });
});
