import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { eachLine, parseLogLine, type LogLine } from '../helpers/log-follower.js';
import type { NetHost } from './net.js';

/**
 * Processes on the hosts of a Net, started as a user would: `ip netns exec <ns> node
 * bin/gateworker.js <command> -c <yaml>`. `ip netns exec` execs in place, so the pid we hold is
 * the node process itself (SIGSTOP/SIGCONT reach it directly). Each process runs in its own
 * process group, so `destroy()` also reaches what a `start` supervisor forked.
 */

export const CLI = resolve(import.meta.dirname, '../../bin/gateworker.js');

/** libfaketime from Debian's `libfaketime` package. */
export const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

/**
 * Worker log lines that say a gateway link was closed or lost (worker/src/gateway-links.ts). A
 * link that passes its own heartbeat must never be closed because of discovery (issue 8, item 1).
 */
export const LINK_DROP = /closing its link|link to gateway lost|gateway given up/i;

export type { LogLine };

/** A log line and when this test process received it (performance.now(), ms). */
export interface SeenLine {
  line: LogLine;
  at: number;
}

export interface SpawnOptions {
  /** Extra environment (libfaketime, …). GATEWORKER_* variables of the test process are never passed on. */
  env?: Record<string, string>;
  cwd?: string;
}

export class HostProcess {
  readonly logs: SeenLine[] = [];
  readonly pid: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderrText = '';
  private readonly waiters = new Set<{ match: (l: LogLine) => boolean; resolve: (s: SeenLine) => void }>();
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;

  private constructor(
    readonly label: string,
    private readonly child: ChildProcess,
  ) {
    this.pid = child.pid!;
    eachLine(child.stdout!, (text) => {
      const line = parseLogLine(text);
      const seen = { line, at: performance.now() };
      this.logs.push(seen);
      for (const w of this.waiters) {
        if (w.match(line)) {
          this.waiters.delete(w);
          w.resolve(seen);
        }
      }
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      this.stderrText = (this.stderrText + chunk).slice(-8_000);
    });
    this.exited = new Promise((res) =>
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        res(this.exitInfo);
      }),
    );
  }

  /** Runs `node bin/gateworker.js ...args` inside the host's namespace. */
  static spawn(host: NetHost, label: string, args: readonly string[], options: SpawnOptions = {}): HostProcess {
    const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
    for (const k of Object.keys(env)) if (k.startsWith('GATEWORKER_') && !(options.env && k in options.env)) delete env[k];
    const child = spawn('ip', ['netns', 'exec', host.ns, process.execPath, CLI, ...args], {
      env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    if (child.pid === undefined) throw new Error(`could not start ${label}`);
    return new HostProcess(label, child);
  }

  get stderr(): string {
    return this.stderrText;
  }

  get exitCode(): number | null | undefined {
    return this.exitInfo === null ? undefined : this.exitInfo.code;
  }

  /** The first log line (already seen or to come) matching, or an error after timeoutMs / at exit. */
  waitForLog(match: (l: LogLine) => boolean, timeoutMs = 20_000, since = 0): Promise<SeenLine> {
    const seen = this.logs.find((s) => s.at >= since && match(s.line));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((res, rej) => {
      const fail = (why: string) => {
        this.waiters.delete(waiter);
        clearTimeout(timer);
        rej(
          new Error(
            `${this.label}: ${why}; stderr: ${this.stderrText.slice(-1_500)}; last log: ${JSON.stringify(this.logs.slice(-3).map((s) => s.line.msg))}`,
          ),
        );
      };
      const waiter = { match, resolve: (s: SeenLine) => (clearTimeout(timer), res(s)) };
      const timer = setTimeout(() => fail(`log line not seen within ${timeoutMs} ms`), timeoutMs);
      this.waiters.add(waiter);
      void this.exited.then((e) => {
        if (this.waiters.has(waiter)) fail(`exited (${e.code ?? e.signal}) before the log line`);
      });
    });
  }

  /** Log lines at warn level or above (pino: 40+), for the figures. */
  warnings(since = 0): LogLine[] {
    return this.logs.filter((s) => s.at >= since && (s.line.level ?? 0) >= 40).map((s) => s.line);
  }

  /** Log lines since `since` whose message matches. */
  count(re: RegExp, since = 0): number {
    return this.logs.filter((s) => s.at >= since && typeof s.line.msg === 'string' && re.test(s.line.msg)).length;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.exitInfo !== null) return;
    try {
      process.kill(this.pid, sig);
    } catch {
      // exited meanwhile
    }
  }

  freeze(): void {
    this.signal('SIGSTOP');
  }

  thaw(): void {
    this.signal('SIGCONT');
  }

  /** Graceful stop (SIGTERM, SIGCONT in case it is frozen), then SIGKILL of its group after timeoutMs. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.exitInfo !== null) return;
    this.signal('SIGTERM');
    this.signal('SIGCONT');
    const timer = setTimeout(() => this.destroy(), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Immediate: SIGKILL to the whole process group. */
  destroy(): void {
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // group gone
    }
  }
}

/** Writes a YAML config into dir and returns its path. */
export function writeConfig(dir: string, name: string, config: Record<string, unknown>): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify(config));
  return file;
}

/**
 * A wall clock that a test can step while the process runs: libfaketime re-reads
 * FAKETIME_TIMESTAMP_FILE on every call (FAKETIME_NO_CACHE=1). Only the wall clock moves
 * (FAKETIME_DONT_FAKE_MONOTONIC=1), as when NTP steps a host's clock; monotonic time is untouched.
 */
export class SteppableClock {
  private readonly file: string;

  constructor(dir: string, name: string) {
    this.file = join(dir, `${name}.faketime`);
    writeFileSync(this.file, '+0s\n');
  }

  env(): Record<string, string> {
    return {
      LD_PRELOAD: LIBFAKETIME,
      FAKETIME_TIMESTAMP_FILE: this.file,
      FAKETIME_NO_CACHE: '1',
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
    };
  }

  /** Sets the offset from the real wall clock, in seconds (e.g. +20 or −60). */
  set(offsetSeconds: number): void {
    writeFileSync(this.file, `${offsetSeconds >= 0 ? '+' : ''}${offsetSeconds}s\n`);
  }
}
