import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CLI, type LogLine } from '../helpers/cluster.js';

/**
 * Role processes started one by one through the CLI (`gateworker register|gateway|worker -c
 * file`), as on separate machines: each with its own config file in one temp dir, its own log,
 * stopped by pid (SIGTERM, then SIGKILL) in `stopAll()`, even when the test failed.
 */
export interface RoleProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logs: LogLine[];
  stderr: string;
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
    const env: NodeJS.ProcessEnv = { ...process.env, GATEWORKER_RUN_DIR: join(this.dir, `run-${name}`) };
    for (const k of Object.keys(env)) if (k.startsWith('GATEWORKER_') && k !== 'GATEWORKER_RUN_DIR') delete env[k];
    const child = spawn(process.execPath, [CLI, role, '-c', file, ...extraArgs], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const logs: LogLine[] = [];
    const waiters = new Set<{ match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }>();
    let buffer = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const text = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        let line: LogLine;
        try {
          line = JSON.parse(text) as LogLine;
        } catch {
          line = { msg: text };
        }
        logs.push(line);
        for (const w of [...waiters]) {
          if (!w.match(line)) continue;
          waiters.delete(w);
          w.resolve(line);
        }
      }
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const proc: RoleProcess = {
      name,
      child,
      logs,
      stderr: '',
      exited,
      waitForLog: (match, timeoutMs = 20_000, what = 'a log line') => {
        const seen = logs.find(match);
        if (seen !== undefined) return Promise.resolve(seen);
        return new Promise((resolve, reject) => {
          const waiter = { match, resolve: (l: LogLine) => (clearTimeout(timer), resolve(l)) };
          const timer = setTimeout(() => {
            waiters.delete(waiter);
            reject(new Error(`${name}: ${what} not seen within ${timeoutMs} ms; stderr: ${proc.stderr.slice(-1500)}`));
          }, timeoutMs);
          waiters.add(waiter);
          void exited.then(({ code }) => {
            if (!waiters.delete(waiter)) return;
            clearTimeout(timer);
            reject(new Error(`${name} exited (${code}) before ${what}; stderr: ${proc.stderr.slice(-1500)}`));
          });
        });
      },
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
    child.stderr.setEncoding('utf8').on('data', (c: string) => (proc.stderr += c));
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
