// metrics-overhead: what scraping the admin endpoint costs. Echo through a cluster with `admin`
// on, on the same open connections, in phases without and with /metrics scraped once a second
// (each scrape makes the supervisor gather every child's registry over IPC): A B B A per round,
// a fresh cluster per round, the median of each arm. Separate clusters per arm were tried first:
// on this shared 2-core machine two fresh clusters differ by more than the effect measured.
// Target: cost ≤ 3 %.
import { LoadGen } from '../loadgen/index.js';
import { startCluster } from '../cluster.js';
import { round, table } from '../lib/report.js';
import { cpuMsOf } from '../lib/procs.js';

export const description = 'echo with /metrics scraped every second vs metrics off, same run (cost ≤ 3 %)';
export const sizes = {
  tiny: { conns: 20, inflight: 1, size: 32, seconds: 2, warmup: 1, rounds: 1, scrapeMs: 1000, gateways: 1, workers: 1, procs: 1, client: 'ws' },
  small: { conns: 100, inflight: 1, size: 32, seconds: 4, warmup: 3, rounds: 3, scrapeMs: 1000, gateways: 1, workers: 1, procs: 1, client: 'ws' },
  full: { conns: 200, inflight: 1, size: 32, seconds: 10, warmup: 5, rounds: 5, scrapeMs: 1000, gateways: 1, workers: 2, procs: 1, client: 'ws' },
};

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Scrapes `url` every `ms` until stopped; counts scrapes, failures and the last body's size. */
function scraper(url, ms) {
  const stats = { scrapes: 0, failures: 0, bytes: 0, maxMs: 0 };
  let stopped = false;
  let wake = () => {};
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
      await new Promise((r) => {
        const timer = setTimeout(r, Math.max(0, ms - took));
        wake = () => (clearTimeout(timer), r());
      });
    }
  })();
  return { stats, stop: async () => ((stopped = true), wake(), await loop, stats) };
}

const cpu = (pids) => pids.reduce((n, p) => n + (cpuMsOf(p) ?? 0), 0);

/** One echo phase on open connections, with or without a 1 Hz scraper running. */
async function phase(lg, o, pids, adminUrl) {
  const s = adminUrl === null ? null : scraper(new URL('metrics', adminUrl), o.scrapeMs);
  const c0 = cpu(pids);
  const e = await lg.echo({ durationMs: o.seconds * 1000, inflight: o.inflight, size: o.size, warmupMs: 0 });
  const serverCpuMs = cpu(pids) - c0;
  const scrapes = s === null ? null : await s.stop();
  return { rtps: e.rtps, p99: e.latencyMs.p99, serverCpuUsPerRt: e.count > 0 ? round((serverCpuMs * 1000) / e.count, 1) : null, scrapes };
}

/**
 * One round: a fresh cluster with `admin` on, warmed up, then phases without and with the
 * scraper on the same connections, in A B B A order (so drift hits both alike).
 */
async function roundOf(lg, o, off, on) {
  const cluster = await startCluster({ gateways: o.gateways, workers: o.workers, admin: true, logLevel: 'warn' });
  try {
    const url = o.client === 'tcp' ? cluster.urls.tcp : cluster.urls.ws;
    const pids = [cluster.pid, ...cluster.gatewayPids, ...cluster.workerPids];
    const c = await lg.connect({ count: o.conns, url, kind: o.client });
    if (c.failed > 0) throw new Error(`metrics-overhead: ${c.failed} of ${o.conns} connections failed`);
    await lg.echo({ durationMs: o.warmup * 1000, inflight: o.inflight, size: o.size, warmupMs: 0 });
    for (const scraped of [false, true, true, false]) (scraped ? on : off).push(await phase(lg, o, pids, scraped ? cluster.urls.admin : null));
    await lg.close();
  } finally {
    await cluster.stop();
  }
}

export async function run(o) {
  const lg = await LoadGen.start({ processes: o.procs });
  const off = [];
  const on = [];
  try {
    for (let r = 0; r < o.rounds; r++) await roundOf(lg, o, off, on);
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
      rtps: onRate,
      runs: on.map((x) => x.rtps),
      p99: median(on.map((x) => x.p99)),
      serverCpuUsPerRt: onCpu,
      scrapes: on.reduce((n, x) => n + (x.scrapes?.scrapes ?? 0), 0),
      scrapeFailures: on.reduce((n, x) => n + (x.scrapes?.failures ?? 0), 0),
      scrapeBytes: on.at(-1)?.scrapes?.bytes ?? 0,
      scrapeMaxMs: round(Math.max(...on.map((x) => x.scrapes?.maxMs ?? 0)), 1),
    },
    ratio: round(onRate / offRate, 3),
    costPercent: round((1 - onRate / offRate) * 100, 2),
    cpuCostPercent: offCpu ? round((onCpu / offCpu - 1) * 100, 2) : null,
    target: 3,
  };
}

export function format(r) {
  return table(
    `metrics-overhead (${r.conns} ${r.client} conns × ${r.inflight}, ${r.seconds} s phases, ${r.rounds} rounds × 2 per arm; /metrics every ${r.scrapeEveryMs} ms)`,
    [
      ['', 'rt/s (median)', 'runs', 'p99 ms', 'server CPU µs/rt', 'scrapes'],
      ['metrics off', r.off.rtps, r.off.runs.join(' '), r.off.p99, r.off.serverCpuUsPerRt, ''],
      [
        'metrics on, scraped',
        r.on.rtps,
        r.on.runs.join(' '),
        r.on.p99,
        r.on.serverCpuUsPerRt,
        `${r.on.scrapes} ok, ${r.on.scrapeFailures} failed, ${r.on.scrapeBytes} B, max ${r.on.scrapeMaxMs} ms`,
      ],
      [`throughput cost % (target ≤ ${r.target})`, r.costPercent, '', '', `CPU cost % ${r.cpuCostPercent}`, ''],
    ],
  );
}
