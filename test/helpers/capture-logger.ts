import { EventEmitter } from 'node:events';
import type { Logger } from '@gateworker/protocol/node';
import { DEFAULT_WAIT_MS, within } from './wait.js';

/** One line a CaptureLogger recorded. */
export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string;
}

/**
 * An in-process Logger (the packages' interface) that records every line and emits 'line' for
 * each, so a test awaits a log line instead of sleeping. Child processes' JSON logs: log-follower.ts.
 */
export class CaptureLogger extends EventEmitter implements Logger {
  readonly lines: LogLine[] = [];

  /** `waitMs`: the time limit of `waitFor` when a call gives none, in milliseconds. */
  constructor(private readonly waitMs = DEFAULT_WAIT_MS) {
    super();
  }

  debug(obj: object, msg = ''): void {
    this.push('debug', obj, msg);
  }
  info(obj: object, msg = ''): void {
    this.push('info', obj, msg);
  }
  warn(obj: object, msg = ''): void {
    this.push('warn', obj, msg);
  }
  error(obj: object, msg = ''): void {
    this.push('error', obj, msg);
  }
  child(): Logger {
    return this;
  }

  /** Resolves with the first line (past or future) `match` accepts. */
  waitFor(match: (line: LogLine) => boolean, timeoutMs = this.waitMs, what = 'a log line'): Promise<LogLine> {
    const seen = this.lines.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    let onLine: ((line: LogLine) => void) | undefined;
    return within(
      new Promise<LogLine>((resolve) => {
        onLine = (line) => {
          if (match(line)) resolve(line);
        };
        this.on('line', onLine);
      }),
      timeoutMs,
      what,
    ).finally(() => this.off('line', onLine as (line: LogLine) => void));
  }

  private push(level: LogLine['level'], obj: object, msg: string): void {
    const line = { level, obj: obj as Record<string, unknown>, msg };
    this.lines.push(line);
    this.emit('line', line);
  }
}
