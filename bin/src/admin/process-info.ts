import type { ProcessInfo } from './snapshot.js';

/** How often CPU use is sampled, in ms: status and the page show the last period's figure. */
export const DEFAULT_CPU_SAMPLE_INTERVAL_MS = 1_000;

/**
 * CPU % of this process over the last sampling period (one cheap timer, unref'd), and the other
 * per-process figures status shows.
 */
export class ProcessSampler {
  private lastCpu = process.cpuUsage();
  private lastAt = performance.now();
  private percent = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly startedAt = Date.now();

  constructor(private readonly intervalMs: number = DEFAULT_CPU_SAMPLE_INTERVAL_MS) {}

  start(): this {
    this.timer ??= setInterval(() => this.sample(), this.intervalMs).unref();
    return this;
  }

  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private sample(): void {
    const cpu = process.cpuUsage();
    const at = performance.now();
    const usedUs = cpu.user - this.lastCpu.user + (cpu.system - this.lastCpu.system);
    const wallMs = at - this.lastAt;
    if (wallMs > 0) this.percent = Math.round((usedUs / 1000 / wallMs) * 1000) / 10;
    this.lastCpu = cpu;
    this.lastAt = at;
  }

  info(restarts = 0): ProcessInfo {
    const memory = process.memoryUsage();
    return {
      pid: process.pid,
      uptimeMs: Date.now() - this.startedAt,
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      cpuPercent: this.percent,
      restarts,
    };
  }
}
