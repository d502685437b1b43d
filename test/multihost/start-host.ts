import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HANDLER, INTERNAL_PORT, REGISTER_PORT, WS_PORT } from './cluster.js';
import { HostProcess, LINK_DROP, writeConfig } from './hosts.js';
import { Net, type NetHost } from './net.js';
import { LINKS } from './timing.js';

/**
 * A whole cluster under `gateworker start` on one host (s) — register, gateway processes and
 * workers supervised together — and a client host (c) that reaches it over the bridge.
 */
export class StartHost {
  private constructor(
    readonly dir: string,
    readonly net: Net,
    readonly supervisor: HostProcess,
  ) {}

  static async start(options: { gateways: number; workers: number }): Promise<StartHost> {
    const net = Net.create(['s', 'c']);
    const s = net.host('s');
    let supervisor: HostProcess | null = null;
    const dir = mkdtempSync(join(tmpdir(), 'gw-multihost-start-'));
    try {
      const file = writeConfig(dir, 's', {
        secret: 'multihost-secret-0123456789',
        nodeId: 's',
        logLevel: 'debug',
        ...LINKS,
        register: { listen: `${s.hostPart}:${REGISTER_PORT}` },
        gateway: {
          processes: options.gateways,
          listen: [{ url: `ws://${s.hostPart}:${WS_PORT}/` }],
          internal: `${s.hostPart}:${INTERNAL_PORT}`,
          advertise: s.hostPart,
        },
        worker: { processes: options.workers, handler: HANDLER },
      });
      supervisor = HostProcess.spawn(s, 's', ['start', '-c', file], { env: { GATEWORKER_RUN_DIR: dir } });
      await supervisor.waitForLog((l) => l.msg === 'cluster ready', 60_000);
    } catch (err) {
      supervisor?.destroy();
      net.destroySync();
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return new StartHost(dir, net, supervisor);
  }

  get client(): NetHost {
    return this.net.host('c');
  }

  get wsUrls(): string[] {
    return [`ws://${this.net.host('s').hostPart}:${WS_PORT}/`];
  }

  /** The current pid of a supervised child, from the latest `cluster ready` / `… restarted` lines. */
  childPid(role: string, index = 0): number {
    const ready = [...this.supervisor.logs].reverse().find((s) => s.line.msg === 'cluster ready');
    const children = (ready?.line.children ?? []) as { role: string; index: number; pid: number }[];
    const child = children.find((c) => c.role === role && c.index === index);
    if (child === undefined) throw new Error(`no ${role} ${index} in 'cluster ready'`);
    return child.pid;
  }

  linkDrops(since: number): number {
    return this.supervisor.count(LINK_DROP, since);
  }

  unexpectedExits(): string[] {
    return this.supervisor.exitCode === undefined ? [] : [`supervisor(code ${this.supervisor.exitCode})`];
  }

  async stop(): Promise<void> {
    try {
      await this.supervisor.stop(15_000);
    } finally {
      this.supervisor.destroy();
      this.net.destroySync();
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
