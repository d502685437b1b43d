import type { Logger } from '@gateworker/protocol/node';

/** Default minimum time between two log lines of one kind, in milliseconds. */
export const DEFAULT_LOG_THROTTLE_MS = 10_000;

/**
 * Rate-limited warnings for things that can happen thousands of times a second (drops, slow
 * clients): at most one line per key per interval, carrying how many were suppressed.
 */
export class LogThrottle {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly log: Logger,
    private readonly intervalMs: number = DEFAULT_LOG_THROTTLE_MS,
  ) {}

  warn(key: string, obj: Record<string, unknown>, msg: string): void {
    const now = performance.now();
    const entry = this.last.get(key);
    if (entry !== undefined && now - entry.at < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    const suppressed = entry?.suppressed ?? 0;
    this.last.set(key, { at: now, suppressed: 0 });
    this.log.warn(suppressed > 0 ? { ...obj, suppressed } : obj, msg);
  }
}
