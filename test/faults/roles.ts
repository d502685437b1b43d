import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CLI } from '../helpers/cluster.js';
import { LogFollower, type LogLine } from '../helpers/log-follower.js';
import { cliEnv } from '../helpers/cli.js';

/**
 * Role processes started one by one through the CLI (`gateworker register|gateway|worker -c
 * file`), as on separate machines: each with its own config file in one temp dir, its own log,
 * stopped by pid (SIGTERM, then SIGKILL) in `stopAll()`, even when the test failed.
 */
export interface RoleProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logs: LogLine[];
  readonly stderr: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForLog(match: (l: LogLine) => boolean, timeoutMs?: number, what?: string): Promise<LogLine>;
  /** Requested stop (SIGTERM), resolving with the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

export class RoleSet {
  readonly dir = mkdtempSync(join(tmpdir(), 'gw-faults-'));
  private readonly procs: RoleProcess[] = [];

  writeFile(name: string, text: string): string {
    const path = join(this.dir, name);
    writeFileSync(path, text);
    return path;
  }

  start(name: string, role: 'register' | 'gateway' | 'worker', config: Record<string, unknown>, extraArgs: string[] = []): RoleProcess {
    const file = this.writeFile(`${name}.yaml`, stringify(config));
    const env = cliEnv(join(this.dir, `run-${name}`));
    const child = spawn(process.execPath, [CLI, role, '-c', file, ...extraArgs], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = new LogFollower(child, name);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const proc: RoleProcess = {
      name,
      child,
      logs: log.lines,
      get stderr() {
        return log.stderr;
      },
      exited,
      waitForLog: (match, timeoutMs = 20_000, what = 'a log line') => log.waitFor(match, timeoutMs, what),
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          const result = await exited;
          clearTimeout(timer);
          return result;
        }
        return exited;
      },
      kill: (signal = 'SIGKILL') => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      },
    };
    this.procs.push(proc);
    return proc;
  }

  async stopAll(): Promise<void> {
    await Promise.all(
      this.procs.map(async (p) => {
        p.kill('SIGCONT');
        p.kill('SIGKILL');
        await p.exited;
      }),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}
