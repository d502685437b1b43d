import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from './cluster.js';

/**
 * A real etcd (Debian's etcd-server) on free loopback ports with a temporary data directory.
 * `kill()` stops the process and `restart()` starts it again on the same ports and data, so a
 * test can take the centre away and bring it back; `stop()` also removes the data directory.
 */
export interface EtcdServer {
  readonly endpoint: string;
  readonly pid: number | undefined;
  kill(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export const ETCD_BINARY = process.env['ETCD_BINARY'] ?? '/usr/bin/etcd';

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function waitReady(port: number, proc: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`etcd exited (${proc.exitCode}) before it was ready:\n${output()}`);
    if (await listening(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`etcd did not listen on ${port} within ${timeoutMs} ms:\n${output()}`);
}

export async function startEtcd(timeoutMs = 15_000): Promise<EtcdServer> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-etcd-'));
  const [client, peer] = (await freePorts(2)) as [number, number];
  const endpoint = `http://127.0.0.1:${client}`;
  let proc: ChildProcess | null = null;
  let log = '';
  const launch = async (): Promise<void> => {
    log = '';
    const p = spawn(
      ETCD_BINARY,
      [
        '--name', 'gw', '--data-dir', join(dir, 'data'),
        '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
        '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
        '--initial-cluster', `gw=http://127.0.0.1:${peer}`, '--log-level', 'error',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    p.stdout?.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
    p.stderr?.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
    proc = p;
    await waitReady(client, p, () => log, timeoutMs);
  };
  const kill = async (): Promise<void> => {
    const p = proc;
    proc = null;
    if (p === null || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  };
  await launch();
  return {
    endpoint,
    get pid() {
      return (proc as ChildProcess | null)?.pid;
    },
    kill,
    restart: launch,
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
