/**
 * Plain, allocation-free measurements the worker keeps for operators (metrics, status). The CLI
 * turns snapshots of these into Prometheus series at scrape time; nothing here knows Prometheus.
 */

/** Upper bounds of the duration buckets, in seconds (Prometheus' `le`); +Inf is implicit. */
export const DURATION_BUCKETS_S: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A cumulative-ready histogram snapshot: `counts[i]` observations ≤ `buckets[i]` (not cumulative), the last one +Inf. */
export interface HistogramSnapshot {
  buckets: readonly number[];
  counts: number[];
  count: number;
  sumSeconds: number;
}

/** Durations in fixed buckets; observe() is a short loop over 14 numbers, no allocation. */
export class DurationHistogram {
  private readonly counts = new Float64Array(DURATION_BUCKETS_S.length + 1);
  count = 0;
  sumSeconds = 0;

  observe(seconds: number): void {
    let i = 0;
    while (i < DURATION_BUCKETS_S.length && seconds > (DURATION_BUCKETS_S[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.count++;
    this.sumSeconds += seconds;
  }

  snapshot(): HistogramSnapshot {
    return { buckets: DURATION_BUCKETS_S, counts: Array.from(this.counts), count: this.count, sumSeconds: this.sumSeconds };
  }
}

/** Handler callbacks measured per name. */
export type CallbackName = 'onConnect' | 'onWebSocketConnect' | 'onMessage' | 'onClose' | 'onPoison';
export const CALLBACK_NAMES: readonly CallbackName[] = ['onConnect', 'onWebSocketConnect', 'onMessage', 'onClose', 'onPoison'];

/** One callback's durations and failures (a throw or a rejection). */
export class CallbackStats {
  readonly duration = new DurationHistogram();
  errors = 0;
}

export interface CallbackSnapshot {
  duration: HistogramSnapshot;
  errors: number;
}

export function callbackStatsTable(): Record<CallbackName, CallbackStats> {
  return {
    onConnect: new CallbackStats(),
    onWebSocketConnect: new CallbackStats(),
    onMessage: new CallbackStats(),
    onClose: new CallbackStats(),
    onPoison: new CallbackStats(),
  };
}

export function snapshotCallbacks(table: Record<CallbackName, CallbackStats>): Record<CallbackName, CallbackSnapshot> {
  const out = {} as Record<CallbackName, CallbackSnapshot>;
  for (const name of CALLBACK_NAMES) out[name] = { duration: table[name].duration.snapshot(), errors: table[name].errors };
  return out;
}

/** Milliseconds from a monotonic clock (performance.now: no syscall, no allocation). */
export function nowMs(): number {
  return performance.now();
}
