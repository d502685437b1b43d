import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Long from 'long';
import { freePorts } from './cluster.js';

// Under vitest, protobufjs (inside etcd3's gRPC stack) cannot `require('long')` (the resolver
// hands it the ESM build), so 64-bit fields such as lease ids lose precision. Plain Node (the CLI,
// users) is unaffected; tests hand protobufjs the library the way it also looks for it. Import
// this helper before anything that loads etcd3.
(globalThis as { Long?: unknown }).Long ??= Long;

export const ETCD_BIN = process.env['ETCD_BIN'] ?? '/usr/bin/etcd';

/**
 * A real etcd (Debian's etcd-server) on free ports with a temporary data directory, started and
 * stopped by the test. `kill()` SIGKILLs it (an outage); `restart()` brings it back on the same
 * ports and data (or `{ wipe: true }`: a fresh, empty store).
 */
export interface EtcdServer {
  endpoint: string;
  clientPort: number;
  pid(): number | undefined;
  kill(): Promise<void>;
  restart(options?: { wipe?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

function waitReady(proc: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`etcd not ready within ${timeoutMs} ms: ${log.slice(-2000)}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      if (/ready to serve client requests/.test(log)) {
        clearTimeout(timer);
        proc.stderr?.off('data', onData);
        proc.stdout?.off('data', onData);
        proc.stderr?.resume();
        proc.stdout?.resume();
        resolve();
      }
    };
    proc.stderr?.on('data', onData);
    proc.stdout?.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`etcd exited (${code}) before it was ready: ${log.slice(-2000)}`));
    });
  });
}

/** `host`/`ports`/`wrap` put it elsewhere, e.g. inside a network namespace (`wrap: ['ip', 'netns', 'exec', name]`). */
export async function startEtcd(options: { host?: string; ports?: [number, number]; wrap?: string[] } = {}): Promise<EtcdServer> {
  const root = mkdtempSync(join(tmpdir(), 'gw-etcd-'));
  const host = options.host ?? '127.0.0.1';
  const [clientPort, peerPort] = options.ports ?? ((await freePorts(2)) as [number, number]);
  const wrap = options.wrap ?? [];
  let dataDir = join(root, 'data');
  let generation = 0;
  let proc: ChildProcess | null = null;
  const endpoint = `http://${host}:${clientPort}`;
  const launch = async (): Promise<void> => {
    const p = spawn(
      wrap[0] ?? ETCD_BIN,
      [
        ...(wrap.length > 0 ? [...wrap.slice(1), ETCD_BIN] : []),
        '--name',
        'gw-test',
        '--data-dir',
        dataDir,
        '--listen-client-urls',
        endpoint,
        '--advertise-client-urls',
        endpoint,
        '--listen-peer-urls',
        `http://${host}:${peerPort}`,
        '--initial-advertise-peer-urls',
        `http://${host}:${peerPort}`,
        '--initial-cluster',
        `gw-test=http://${host}:${peerPort}`,
        '--initial-cluster-state',
        'new',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    proc = p;
    await waitReady(p, 20_000);
  };
  const kill = async (): Promise<void> => {
    const p = proc;
    proc = null;
    if (p === null || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  };
  await launch();
  return {
    endpoint,
    clientPort,
    pid: () => proc?.pid,
    kill,
    restart: async (options = {}) => {
      await kill();
      if (options.wipe === true) dataDir = join(root, `data-${++generation}`);
      await launch();
    },
    stop: async () => {
      await kill();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
