import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { HostProcess, LINK_DROP, writeConfig, type SpawnOptions } from './hosts.js';
import { Net, type Family, type NetHost } from './net.js';
import { LINKS } from './timing.js';

/**
 * The multi-host cluster: registers r1…, gateways g1…, workers w1… and a client host c, each on
 * its own namespace, each role started by `gateworker register|gateway|worker -c <yaml>` with
 * advertise = the host's own address and a secret (it is off loopback). Ports are fixed because
 * every host is a namespace of this test alone: nothing else can hold them.
 */

export const HANDLER = resolve(import.meta.dirname, 'fixtures/handler.mjs');
export const REGISTER_PORT = 1236;
export const INTERNAL_PORT = 2900;
export const WS_PORT = 7272;
const SECRET = 'multihost-secret-0123456789';

/**
 * The line a role logs once it is up: the role command's summary (`gateway <id> serving …`, at
 * debug since main's readable-logs change) or the library's own start line.
 */
export const READY = {
  register: /^register listening/,
  gateway: /^gateway \S+ serving|^gateway started$/,
  worker: /^worker \d+ running|^worker ready$/,
};

export interface ClusterSpec {
  registers?: number;
  gateways?: number;
  workers?: number;
  families?: readonly Family[];
  /** Extra environment for a gateway process (libfaketime…), by gateway index (0-based); dir is the cluster's temp dir. */
  gatewayEnv?: (index: number, dir: string) => Record<string, string> | undefined;
  /** Keys merged into gateway i's `gateway` section (after the defaults). */
  gatewayConfig?: (index: number, host: NetHost) => Record<string, unknown>;
  /** Host of worker i (default `w<i+1>`); e.g. a gateway's host, to run a worker beside it. */
  workerHost?: (index: number) => string;
  /** Keys merged into every worker's `worker` section. */
  workerConfig?: Record<string, unknown>;
  /** Top-level keys merged into every config (e.g. settings the fault mechanisms add). */
  common?: Record<string, unknown>;
}

export class MultiHostCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'gw-multihost-'));
  readonly registers: HostProcess[] = [];
  readonly gateways: HostProcess[] = [];
  readonly workers: HostProcess[] = [];
  /** Every process started, for stop() (restarted ones included). */
  private readonly all: HostProcess[] = [];
  private readonly configs = new Map<string, string>();

  private constructor(
    readonly net: Net,
    private readonly spec: ClusterSpec,
  ) {}

  /** Builds the net and starts registers, then gateways, then workers, each ready before the next kind. */
  static async start(spec: ClusterSpec = {}): Promise<MultiHostCluster> {
    const r = spec.registers ?? 2;
    const g = spec.gateways ?? 2;
    const w = spec.workers ?? 2;
    const workerHosts = range(w).map((i) => spec.workerHost?.(i) ?? `w${i + 1}`);
    const names = [...range(r).map((i) => `r${i + 1}`), ...range(g).map((i) => `g${i + 1}`), ...workerHosts.filter((n) => /^w\d+$/.test(n)), 'c'];
    const net = Net.create(names, spec.families ?? ['ipv4']);
    const cluster = new MultiHostCluster(net, spec);
    try {
      await Promise.all(range(r).map((i) => cluster.startRegister(i)));
      await Promise.all(range(g).map((i) => cluster.startGateway(i)));
      await Promise.all(range(w).map((i) => cluster.startWorker(i)));
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  get registerAddresses(): string[] {
    return [...this.net.hosts.values()].filter((h) => /^r\d+$/.test(h.name)).map((h) => `${h.hostPart}:${REGISTER_PORT}`);
  }

  get wsUrls(): string[] {
    return range(this.gatewayCount).map((i) => `ws://${this.net.host(`g${i + 1}`).hostPart}:${WS_PORT}/`);
  }

  get gatewayCount(): number {
    return [...this.net.hosts.keys()].filter((n) => /^g\d+$/.test(n)).length;
  }

  get client(): NetHost {
    return this.net.host('c');
  }

  private base(name: string): Record<string, unknown> {
    // debug: link chatter (a link closed, lost, refused) is logged at debug, and the figures count it.
    return { secret: SECRET, nodeId: name, logLevel: 'debug', ...LINKS, ...this.spec.common };
  }

  private launch(host: NetHost, role: string, config: Record<string, unknown>, options: SpawnOptions = {}, label = host.name): HostProcess {
    const file = writeConfig(this.dir, label, config);
    this.configs.set(label, file);
    const p = HostProcess.spawn(host, label, [role, '-c', file], options);
    this.all.push(p);
    return p;
  }

  async startRegister(i: number): Promise<HostProcess> {
    const host = this.net.host(`r${i + 1}`);
    const p = this.launch(host, 'register', { ...this.base(host.name), register: { listen: `${host.hostPart}:${REGISTER_PORT}` } });
    this.registers[i] = p;
    await p.waitForLog((l) => typeof l.msg === 'string' && READY.register.test(l.msg), 20_000);
    return p;
  }

  async startGateway(i: number): Promise<HostProcess> {
    const host = this.net.host(`g${i + 1}`);
    const gateway = {
      listen: [{ url: `ws://${host.hostPart}:${WS_PORT}/` }],
      internal: `${host.hostPart}:${INTERNAL_PORT}`,
      advertise: host.hostPart,
      registers: this.registerAddresses,
      ...this.spec.gatewayConfig?.(i, host),
    };
    const env = this.spec.gatewayEnv?.(i, this.dir);
    const p = this.launch(host, 'gateway', { ...this.base(host.name), gateway }, env === undefined ? {} : { env });
    this.gateways[i] = p;
    await p.waitForLog((l) => typeof l.msg === 'string' && READY.gateway.test(l.msg), 20_000);
    return p;
  }

  async startWorker(i: number): Promise<HostProcess> {
    const host = this.net.host(this.spec.workerHost?.(i) ?? `w${i + 1}`);
    const worker = { handler: HANDLER, registers: this.registerAddresses, ...this.spec.workerConfig };
    const p = this.launch(host, 'worker', { ...this.base(`w${i + 1}`), worker }, {}, `w${i + 1}`);
    this.workers[i] = p;
    await p.waitForLog((l) => typeof l.msg === 'string' && READY.worker.test(l.msg), 45_000);
    return p;
  }

  /** The config file a process was started with (by label: r1, g1, w1…). */
  configFile(label: string): string {
    const f = this.configs.get(label);
    if (f === undefined) throw new Error(`no config for ${label}`);
    return f;
  }

  /** Role processes that exited although the test did not stop them (issue 8: no exit because a peer is gone). */
  unexpectedExits(except: readonly HostProcess[] = []): string[] {
    return [...this.registers, ...this.gateways, ...this.workers]
      .filter((p) => !except.includes(p) && p.exitCode !== undefined)
      .map((p) => `${p.label}(code ${p.exitCode})`);
  }

  linkDrops(since: number): number {
    return this.workers.reduce((n, w) => n + w.count(LINK_DROP, since), 0);
  }

  /** Warn+ log lines of every process since `since` (performance.now()), labelled. */
  warnings(since = 0): string[] {
    return this.all.flatMap((p) => p.warnings(since).map((l) => `${p.label}: ${String(l.msg)}`));
  }

  async stop(): Promise<void> {
    try {
      await Promise.all(this.all.map((p) => p.stop(8_000)));
    } finally {
      for (const p of this.all) p.destroy();
      this.net.destroySync();
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
