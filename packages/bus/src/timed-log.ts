import type { Logger } from '@gateworker/protocol/node';

/**
 * Warnings that can repeat many times a second while a broker is down: at most one line per key
 * per interval, carrying how many were suppressed.
 */
export class TimedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly log: Logger,
    private readonly intervalMs: number,
  ) {}

  /** `fields` may be a function, called only when the line is written. */
  warn(key: string, fields: Record<string, unknown> | (() => Record<string, unknown>), msg: string): void {
    const now = performance.now();
    const entry = this.last.get(key);
    if (entry !== undefined && now - entry.at < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    this.last.set(key, { at: now, suppressed: 0 });
    const obj = typeof fields === 'function' ? fields() : fields;
    this.log.warn(entry !== undefined && entry.suppressed > 0 ? { ...obj, suppressed: entry.suppressed } : obj, msg);
  }
}
