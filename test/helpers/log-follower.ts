import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

/** One JSON log line of a gateworker process (pino), or a non-JSON line kept as its `msg`. */
export interface LogLine {
  msg?: string;
  role?: string;
  level?: number;
  [key: string]: unknown;
}

/**
 * Calls `each` with every line the stream delivers (node:readline splits them, in order).
 * readline re-emits the stream's errors on its interface, where nobody would listen: they are the
 * stream owner's to handle (a socket reset by the peer is an expected end in these tests).
 */
export function eachLine(stream: Readable, each: (text: string) => void): void {
  createInterface({ input: stream, crlfDelay: Infinity })
    .on('line', each)
    .on('error', () => {});
}

/** A matcher for `waitFor`: the line's message starts with `text`. */
export const msgStartsWith =
  (text: string) =>
  (line: LogLine): boolean =>
    typeof line.msg === 'string' && line.msg.startsWith(text);

export function parseLogLine(text: string): LogLine {
  try {
    return JSON.parse(text) as LogLine;
  } catch {
    return { msg: text };
  }
}

interface Waiter {
  match: (line: LogLine) => boolean;
  resolve: (line: LogLine) => void;
}

/**
 * The log of a child process started with piped stdout/stderr: every stdout line parsed and kept
 * in order (`lines`, and as printed in `raw`), the tail of stderr, and `waitFor` — the first line
 * matching, already seen or still to come, rejected after a timeout or when the process exits
 * first (both naming the process and quoting its stderr).
 */
export class LogFollower {
  readonly lines: LogLine[] = [];
  readonly raw: string[] = [];
  stderr = '';
  private readonly waiters = new Set<Waiter>();
  private readonly exited: Promise<number | null>;

  constructor(
    child: ChildProcess,
    private readonly name: string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    eachLine(child.stdout!, (text) => {
      const line = parseLogLine(text);
      this.raw.push(text);
      this.lines.push(line);
      for (const w of [...this.waiters]) {
        if (!w.match(line)) continue;
        this.waiters.delete(w);
        w.resolve(line);
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr = (this.stderr + chunk).slice(-8_000)));
  }

  waitFor(match: (line: LogLine) => boolean, timeoutMs = 20_000, what = 'the log line'): Promise<LogLine> {
    const seen = this.lines.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { match, resolve: (line) => (clearTimeout(timer), resolve(line)) };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`${this.name}: ${what} not seen within ${timeoutMs} ms; stderr: ${this.stderr.slice(-2000)}`));
      }, timeoutMs);
      this.waiters.add(waiter);
      void this.exited.then((code) => {
        if (!this.waiters.delete(waiter)) return;
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (${code}) before ${what}; stderr: ${this.stderr.slice(-2000)}`));
      });
    });
  }
}
