import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CLI, cliEnv, runCli } from './cli.js';
import { LogFollower, type LogLine } from './log-follower.js';

/**
 * The end-to-end harness: starts a cluster through the `gateworker` CLI exactly as a user would
 * (a temp dir with gateworker.yaml and a handler file, `node bin/gateworker.js start -c …`),
 * waits for the supervisor's "cluster ready" log line, and stops it by pid. Every process it
 * starts is tracked and killed in `stop()`. Every address is configured with port 0 (register,
 * client listeners, internal ports) and read back from the `addresses` field of "cluster ready":
 * no port is reserved and released before the CLI binds it.
 */

export { CLI } from './cli.js';

export type { LogLine };

/**
 * Free TCP ports on 127.0.0.1 (listen on 0, read, close). `count` consecutive when `consecutive`.
 * Racy by nature (another process may take a port before the caller binds it): only for servers
 * that cannot bind port 0 and report the port back (etcd, ZooKeeper, redis-server, rabbitmq-server)
 * and for a port a test must know before anything binds it.
 */
export async function freePorts(count: number, consecutive = false): Promise<number[]> {
  const grab = () =>
    new Promise<number>((res, rej) => {
      const s = createServer();
      s.once('error', rej);
      s.listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => res(port));
      });
    });
  if (!consecutive) return Promise.all(Array.from({ length: count }, grab));
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = await grab();
    if (base + count > 65535) continue;
    const ok = await Promise.all(
      Array.from(
        { length: count },
        (_, i) =>
          new Promise<boolean>((res) => {
            const s = createServer();
            s.once('error', () => res(false));
            s.listen(base + i, '127.0.0.1', () => s.close(() => res(true)));
          }),
      ),
    );
    if (ok.every(Boolean)) return Array.from({ length: count }, (_, i) => base + i);
  }
  throw new Error('no free consecutive ports');
}

export interface ClusterOptions {
  gateways?: number;
  workers?: number;
  /** Source of the handler module (an ES module). */
  handler: string;
  /** Extra client listeners besides the ws one, e.g. { url: 'tcp://127.0.0.1:PORT', framing: 'line' } (PORT is filled in). */
  tcp?: { framing: 'line' | 'length' | 'raw' } | null;
  secret?: string;
  /** Put the secret in a file (0600) named by `secretFile` instead of in the config. */
  secretInFile?: boolean;
  /** Extra keys merged into the gateway / worker sections. */
  gateway?: Record<string, unknown>;
  worker?: Record<string, unknown>;
  /** Extra top-level config sections, e.g. { admin: { listen: '127.0.0.1:0' } }. */
  sections?: Record<string, unknown>;
  logLevel?: string;
  /** A `discovery:` section (etcd / ZooKeeper) instead of the register; `cluster` names the cluster. */
  discovery?: Record<string, unknown>;
  cluster?: string;
  /** Extra environment of `gateworker start` and of `cli()` (applied after GATEWORKER_* are cleared). */
  env?: Record<string, string>;
  /** Set GATEWORKER_RUN_DIR to the temp dir (default true); false: the default run directory. */
  runDirInTempDir?: boolean;
  /** Start the supervisor in a process group of its own (pgid = its pid), as a service manager would. */
  detached?: boolean;
}

export interface Cluster {
  dir: string;
  configFile: string;
  env: NodeJS.ProcessEnv;
  /** The ws listener's URL as bound (port 0 resolved): where clients connect. */
  wsUrl: string;
  tcpPort: number | null;
  /** The client listeners' URLs as configured (port 0): how metrics labels, the topology page and a handler's `info.listener` name them. */
  listeners: string[];
  registerAddress: string;
  /** Each gateway process's internal (worker-link) address, by process index. */
  internalAddresses: string[];
  secret: string;
  pid: number;
  /** Every JSON log line seen so far, from every process (stdout is shared). */
  logs: LogLine[];
  /** The same lines as printed (for checks JSON.parse cannot make, such as duplicate keys). */
  rawLines: string[];
  /** Resolves with the first log line matching, or rejects after timeoutMs. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Runs a CLI command against this cluster (same config and run dir). */
  cli(args: string[], timeoutMs?: number): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** Rewrites the handler file (for reload tests). */
  writeHandler(source: string): void;
  stop(): Promise<void>;
}

/** The `addresses` field of "cluster ready": what the processes bound. */
interface ReadyAddresses {
  register?: string;
  gateways: { index: number; listen: string[]; internal?: string }[];
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-e2e-'));
  const gateways = options.gateways ?? 1;
  const secret = options.secret ?? 'e2e-secret';
  const listen: Record<string, unknown>[] = [{ url: 'ws://127.0.0.1:0/' }];
  if (options.tcp) listen.push({ url: 'tcp://127.0.0.1:0', framing: options.tcp.framing });
  const config = {
    ...(options.secretInFile === true ? { secretFile: './secret' } : { secret }),
    logLevel: options.logLevel ?? 'info',
    ...(options.cluster !== undefined && { cluster: options.cluster }),
    ...(options.discovery !== undefined ? { discovery: options.discovery } : { register: { listen: '127.0.0.1:0' } }),
    gateway: { processes: gateways, listen, internal: '127.0.0.1:0', ...options.gateway },
    worker: { processes: options.workers ?? 2, handler: './handler.mjs', ...options.worker },
    ...options.sections,
  };
  const configFile = join(dir, 'gateworker.yaml');
  writeFileSync(configFile, stringify(config));
  writeFileSync(join(dir, 'handler.mjs'), options.handler);
  if (options.secretInFile === true) writeFileSync(join(dir, 'secret'), secret + '\n', { mode: 0o600 });
  const env = cliEnv(dir);
  if (options.runDirInTempDir === false) delete env['GATEWORKER_RUN_DIR'];
  Object.assign(env, options.env);

  const child: ChildProcess = spawn(process.execPath, [CLI, 'start', '-c', configFile], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached === true,
  });
  const log = new LogFollower(child, 'gateworker start');
  const logs = log.lines;
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const waitForLog = (match: (l: LogLine) => boolean, timeoutMs = 20_000): Promise<LogLine> => log.waitFor(match, timeoutMs);

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    // Children that outlived the supervisor (they should not) are killed by pid.
    for (const line of logs) {
      for (const c of (line['children'] as { pid?: number }[] | undefined) ?? []) {
        try {
          if (c.pid !== undefined) process.kill(c.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  let addresses: ReadyAddresses;
  try {
    addresses = (await waitForLog((l) => l.msg === 'cluster ready', 30_000))['addresses'] as ReadyAddresses;
  } catch (err) {
    await stop();
    throw err;
  }
  const gateway0 = addresses.gateways.find((g) => g.index === 0);
  const cli = async (args: string[], timeoutMs = 60_000) => {
    const r = await runCli([...args, '-c', configFile], { env, timeoutMs });
    if (r.timedOut) throw new Error(`gateworker ${args.join(' ')} timed out`);
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  };
  return {
    dir,
    configFile,
    env,
    wsUrl: gateway0?.listen[0] ?? '',
    tcpPort: options.tcp ? Number(new URL(gateway0?.listen[1] ?? 'tcp://x:0').port) : null,
    listeners: listen.map((l) => l['url'] as string),
    registerAddress: addresses.register ?? '',
    internalAddresses: addresses.gateways.map((g) => g.internal ?? ''),
    secret,
    pid: child.pid as number,
    logs,
    rawLines: log.raw,
    waitForLog,
    cli,
    writeHandler: (source) => writeFileSync(join(dir, 'handler.mjs'), source),
    stop,
  };
}
