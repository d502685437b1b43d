// metrics-overhead: what the admin endpoint costs. Echo through the cluster with metrics off
// (no `admin` section) and with `admin.listen` set and /metrics scraped once a second (the
// supervisor gathers every child's registry over IPC at each scrape), same generator, same run.
// The two arms alternate over several rounds (off, on, on, off, …) so that drift in the machine's
// load hits both; the figure is the median rate of each arm. Target: cost ≤ 3 %.
import { LoadGen } from '../loadgen/index.js';
import { startCluster } from '../cluster.js';
import { round, table } from '../lib/report.js';
import { measure } from './echo.js';

export const description = 'echo with /metrics scraped every second vs metrics off, same run (cost ≤ 3 %)';
export const sizes = {
  tiny: { conns: 20, inflight: 1, size: 32, seconds: 2, warmup: 0.5, rounds: 1, scrapeMs: 1000, gateways: 1, workers: 1, procs: 1, client: 'ws' },
  small: { conns: 100, inflight: 1, size: 32, seconds: 5, warmup: 1, rounds: 3, scrapeMs: 1000, gateways: 1, workers: 1, procs: 1, client: 'ws' },
  full: { conns: 200, inflight: 1, size: 32, seconds: 10, warmup: 2, rounds: 5, scrapeMs: 1000, gateways: 1, workers: 2, procs: 1, client: 'ws' },
};

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Scrapes `url` every `ms` until stopped; counts scrapes, failures and the last body's size. */
function scraper(url, ms) {
  const stats = { scrapes: 0, failures: 0, bytes: 0, maxMs: 0 };
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const t0 = performance.now();
      try {
        const res = await fetch(url);
        const body = await res.text();
        if (res.status !== 200) throw new Error(String(res.status));
        stats.scrapes++;
        stats.bytes = body.length;
      } catch {
        stats.failures++;
      }
      const took = performance.now() - t0;
      stats.maxMs = Math.max(stats.maxMs, took);
      await new Promise((r) => setTimeout(r, Math.max(0, ms - took)));
    }
  })();
  return { stats, stop: async () => ((stopped = true), await loop, stats) };
}

async function arm(lg, o, withMetrics) {
  const cluster = await startCluster({ gateways: o.gateways, workers: o.workers, admin: withMetrics, logLevel: 'warn' });
  try {
    const url = o.client === 'tcp' ? cluster.urls.tcp : cluster.urls.ws;
    const s = withMetrics ? scraper(new URL('metrics', cluster.urls.admin), o.scrapeMs) : null;
    const m = await measure(lg, url, o, [cluster.pid, ...cluster.gatewayPids, ...cluster.workerPids]);
    const scrapes = s === null ? null : await s.stop();
    return { ...m, scrapes };
  } finally {
    await cluster.stop();
  }
}

export async function run(o) {
  const lg = await LoadGen.start({ processes: o.procs });
  const off = [];
  const on = [];
  try {
    for (let r = 0; r < o.rounds; r++) {
      // ABBA order per pair of rounds: neither arm always goes first.
      const order = r % 2 === 0 ? [false, true] : [true, false];
      for (const withMetrics of order) (withMetrics ? on : off).push(await arm(lg, o, withMetrics));
    }
  } finally {
    await lg.stop();
  }
  const offRate = median(off.map((x) => x.rtps));
  const onRate = median(on.map((x) => x.rtps));
  const offCpu = median(off.map((x) => x.serverCpuUsPerRt));
  const onCpu = median(on.map((x) => x.serverCpuUsPerRt));
  return {
    scenario: 'metrics-overhead',
    client: o.client,
    conns: o.conns,
    inflight: o.inflight,
    payloadBytes: o.size,
    seconds: o.seconds,
    rounds: o.rounds,
    scrapeEveryMs: o.scrapeMs,
    gateways: o.gateways,
    workers: o.workers,
    off: { rtps: offRate, runs: off.map((x) => x.rtps), p99: median(off.map((x) => x.p99)), serverCpuUsPerRt: offCpu },
    on: {
      rtps: onRate, runs: on.map((x) => x.rtps), p99: median(on.map((x) => x.p99)), serverCpuUsPerRt: onCpu,
      scrapes: on.reduce((n, x) => n + (x.scrapes?.scrapes ?? 0), 0), scrapeFailures: on.reduce((n, x) => n + (x.scrapes?.failures ?? 0), 0),
      scrapeBytes: on.at(-1)?.scrapes?.bytes ?? 0, scrapeMaxMs: round(Math.max(...on.map((x) => x.scrapes?.maxMs ?? 0)), 1),
    },
    ratio: round(onRate / offRate, 3),
    costPercent: round((1 - onRate / offRate) * 100, 2),
    cpuCostPercent: offCpu ? round((onCpu / offCpu - 1) * 100, 2) : null,
    target: 3,
  };
}

export function format(r) {
  return table(`metrics-overhead (${r.conns} ${r.client} conns × ${r.inflight}, ${r.seconds} s × ${r.rounds} rounds per arm; /metrics every ${r.scrapeEveryMs} ms)`, [
    ['', 'rt/s (median)', 'runs', 'p99 ms', 'server CPU µs/rt', 'scrapes'],
    ['metrics off', r.off.rtps, r.off.runs.join(' '), r.off.p99, r.off.serverCpuUsPerRt, ''],
    ['metrics on, scraped', r.on.rtps, r.on.runs.join(' '), r.on.p99, r.on.serverCpuUsPerRt, `${r.on.scrapes} ok, ${r.on.scrapeFailures} failed, ${r.on.scrapeBytes} B, max ${r.on.scrapeMaxMs} ms`],
    [`throughput cost % (target ≤ ${r.target})`, r.costPercent, '', '', `CPU cost % ${r.cpuCostPercent}`, ''],
  ]);
}
