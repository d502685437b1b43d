// echo: round trips/s and p50/p99 through client → gateway → worker → gateway → client, and the
// bare `ws` echo server (bench/servers/bare-ws-echo.js) driven by the same generator, same
// connections, in-flight count and payload, in the same run. Target: cluster ≥ 0.5× bare.
import { LoadGen } from '../loadgen/index.js';
import { startBare } from '../servers/index.js';
import { startCluster } from '../cluster.js';
import { cpuMsOf } from '../lib/procs.js';
import { round, table } from '../lib/report.js';

export const description = 'round trips/s and p50/p99 latency, cluster vs bare ws echo';
export const sizes = {
  tiny: { conns: 20, inflight: 1, size: 32, seconds: 2, warmup: 0.5, gateways: 1, workers: 1, procs: 1, client: 'ws' },
  small: { conns: 100, inflight: 1, size: 32, seconds: 5, warmup: 1, gateways: 1, workers: 1, procs: 1, client: 'ws' },
  full: { conns: 500, inflight: 1, size: 32, seconds: 10, warmup: 2, gateways: 1, workers: 1, procs: 1, client: 'ws' },
};

const cpu = (pids) => pids.reduce((n, p) => n + (cpuMsOf(p) ?? 0), 0);

export async function measure(lg, url, o, pids) {
  const c = await lg.connect({ count: o.conns, url, kind: o.client });
  if (c.failed > 0) throw new Error(`echo: ${c.failed} of ${o.conns} connections failed: ${JSON.stringify(c.failures)}`);
  const c0 = cpu(pids);
  const e = await lg.echo({ durationMs: o.seconds * 1000, inflight: o.inflight, size: o.size, warmupMs: o.warmup * 1000 });
  const serverCpuMs = cpu(pids) - c0;
  await lg.close();
  return {
    rtps: e.rtps,
    p50: e.latencyMs.p50,
    p99: e.latencyMs.p99,
    max: e.latencyMs.max,
    roundTrips: e.count,
    unanswered: e.unanswered,
    // CPU of the server processes over warm-up + measurement, per measured round trip
    serverCpuUsPerRt: e.count > 0 ? round((serverCpuMs * 1000) / (e.count * (1 + o.warmup / o.seconds)), 1) : null,
  };
}

export async function run(o) {
  const lg = await LoadGen.start({ processes: o.procs });
  try {
    const bare = await startBare(o.client === 'tcp' ? 'tcp-echo' : 'ws-echo');
    let b;
    try {
      b = await measure(lg, bare.url, o, [bare.pid]);
    } finally {
      await bare.stop();
    }
    const cluster = await startCluster({ gateways: o.gateways, workers: o.workers });
    let c;
    try {
      const url = o.client === 'tcp' ? cluster.urls.tcp : cluster.urls.ws;
      c = await measure(lg, url, o, [...cluster.gatewayPids, ...cluster.workerPids]);
    } finally {
      await cluster.stop();
    }
    return {
      scenario: 'echo',
      client: o.client,
      conns: o.conns,
      inflight: o.inflight,
      payloadBytes: o.size,
      seconds: o.seconds,
      gateways: o.gateways,
      workers: o.workers,
      bare: b,
      cluster: c,
      ratio: round(c.rtps / b.rtps, 3),
      target: 0.5,
    };
  } finally {
    await lg.stop();
  }
}

export function format(r) {
  return table(
    `echo (${r.conns} ${r.client} conns × ${r.inflight} in flight, ${r.payloadBytes} B, ${r.seconds} s; cluster ${r.gateways} gw + ${r.workers} wk)`,
    [
      ['', 'rt/s', 'p50 ms', 'p99 ms', 'max ms', 'server CPU µs/rt'],
      ['bare ws echo', r.bare.rtps, r.bare.p50, r.bare.p99, r.bare.max, r.bare.serverCpuUsPerRt],
      ['gateworker', r.cluster.rtps, r.cluster.p50, r.cluster.p99, r.cluster.max, r.cluster.serverCpuUsPerRt],
      [`ratio cluster/bare (target ≥ ${r.target})`, r.ratio, '', '', '', ''],
    ],
  );
}
