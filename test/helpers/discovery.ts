import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { connectWs, type WsClient } from './clients.js';
import { CLI, type Cluster } from './cluster.js';
import { eventually } from './wait.js';
import { LogFollower, type LogLine } from './log-follower.js';
import { cliEnv } from './cli.js';

/** Shared pieces of the discovery end-to-end tests (etcd and ZooKeeper). */

const run = promisify(execFile);

/** Pids holding an established TCP connection to 127.0.0.1:`port` (ss -tnp; needs to see other processes, as root does). */
export async function connectionOwners(port: number): Promise<number[]> {
  const { stdout } = await run('ss', ['-Htnp', 'state', 'established', `( dport = :${port} )`]);
  const pids: number[] = [];
  for (const line of stdout.split('\n')) {
    for (const m of line.matchAll(/pid=(\d+)/g)) pids.push(Number(m[1]));
  }
  return pids;
}

/** The pids of a `gateworker start` tree: the supervisor and the children it reported. */
export function treePids(cluster: Cluster): Set<number> {
  const pids = new Set<number>([cluster.pid]);
  for (const line of cluster.logs)
    for (const c of (line['children'] as { pid?: number }[] | undefined) ?? []) if (c.pid !== undefined) pids.add(c.pid);
  return pids;
}

/** A standalone `gateworker gateway` process (its own discovery session), stopped by the test. */
export interface StandaloneGateway {
  proc: ChildProcess;
  wsUrl: string;
  logs: LogLine[];
  waitForLog(match: (l: LogLine) => boolean, timeoutMs: number): Promise<LogLine>;
  kill(signal: NodeJS.Signals): Promise<void>;
  cleanup(): Promise<void>;
}

export async function startStandaloneGateway(options: {
  secret: string;
  cluster: string;
  discovery: Record<string, unknown>;
}): Promise<StandaloneGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-standalone-'));
  const configFile = join(dir, 'gateway.yaml');
  writeFileSync(
    configFile,
    stringify({
      secret: options.secret,
      cluster: options.cluster,
      nodeId: 'standalone',
      discovery: options.discovery,
      gateway: { listen: [{ url: 'ws://127.0.0.1:0/' }], internal: '127.0.0.1:0' },
    }),
  );
  const env = cliEnv(dir);
  const proc = spawn(process.execPath, [CLI, 'gateway', '-c', configFile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = new LogFollower(proc, 'standalone gateway');
  const logs = log.lines;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const waitForLog = (match: (l: LogLine) => boolean, timeoutMs: number): Promise<LogLine> => log.waitFor(match, timeoutMs);
  const kill = async (signal: NodeJS.Signals): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill(signal);
    await exited;
  };
  const cleanup = async (): Promise<void> => {
    await kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  // Port 0: the bound URL is in the gateway's "gateway started" line.
  let wsUrl: string;
  try {
    wsUrl = ((await waitForLog((l) => l.msg === 'gateway started', 30_000))['listeners'] as string[])[0] ?? '';
  } catch (err) {
    await cleanup();
    throw err;
  }
  return {
    proc,
    wsUrl,
    logs,
    waitForLog,
    kill,
    cleanup,
  };
}

/** Polls `gateworker status --json` until `check` holds; resolves with the elapsed ms. */
export async function statusUntil(
  cluster: Cluster,
  check: (view: { gateways: { gatewayId: string }[] }) => boolean,
  timeoutMs: number,
): Promise<number> {
  const started = Date.now();
  await eventually(
    async () => {
      const r = await cluster.cli(['status', '--json'], 10_000);
      if (r.code === 0 && check(JSON.parse(r.stdout) as { gateways: { gatewayId: string }[] })) return true;
      throw new Error(`status: ${r.stdout.slice(0, 500)} ${r.stderr.slice(0, 500)}`); // the last one is in the timeout's message
    },
    timeoutMs,
    'the status view',
    200,
  );
  return Date.now() - started;
}

/**
 * Load: `clients` ws clients each sending a numbered message every `intervalMs` through the echo
 * path (gateway → worker → gateway). Counts replies, checks order, records latencies and closes.
 */
export class EchoLoad {
  private readonly clients: WsClient[] = [];
  private timers: NodeJS.Timeout[] = [];
  sent = 0;
  received = 0;
  outOfOrder = 0;
  disconnects = 0;
  /** Latencies (ms) per phase label. */
  readonly latencies = new Map<string, number[]>();
  phase = 'before';

  static async start(url: string, clients: number, intervalMs: number): Promise<EchoLoad> {
    const load = new EchoLoad();
    for (let i = 0; i < clients; i++) load.clients.push(await connectWs(url, { timeoutMs: 10_000 }));
    load.clients.forEach((c, i) => {
      let next = 0;
      let expect = 0;
      const sentAt: number[] = [];
      c.ws.removeAllListeners('message');
      c.ws.on('message', (data: Buffer) => {
        const n = Number(data.toString('utf8').slice(2));
        if (n !== expect) load.outOfOrder++;
        expect = n + 1;
        load.received++;
        const at = sentAt[n];
        if (at !== undefined) {
          let list = load.latencies.get(load.phase);
          if (list === undefined) load.latencies.set(load.phase, (list = []));
          list.push(performance.now() - at);
        }
      });
      void c.closed.then(() => {
        if (!load.stopping) load.disconnects++;
      });
      // Spread the clients' ticks over the interval.
      setTimeout(
        () => {
          load.timers.push(
            setInterval(() => {
              sentAt[next] = performance.now();
              c.send(`e:${next++}`);
              load.sent++;
            }, intervalMs),
          );
        },
        (i * intervalMs) / clients,
      );
    });
    return load;
  }

  private stopping = false;

  /** Stops sending and waits (bounded) until every reply is in. */
  async stop(timeoutMs = 15_000): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    const deadline = Date.now() + timeoutMs;
    while (this.received < this.sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    this.stopping = true;
    await Promise.all(this.clients.map((c) => c.close()));
  }

  p99(phase: string): number {
    const list = [...(this.latencies.get(phase) ?? [])].sort((a, b) => a - b);
    return list.length === 0 ? NaN : (list[Math.min(list.length - 1, Math.floor(list.length * 0.99))] as number);
  }
}
