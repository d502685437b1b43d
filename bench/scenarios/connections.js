// connections:
// (a) N idle clients (ws, then raw TCP with line framing; separate runs) on ONE gateway process:
//     gateway RSS and V8 heap before/after (read after a forced full GC through the inspector),
//     per connection; side by side with a bare server process holding the same N (bare ws echo /
//     bare TCP line echo, measured the same way). Targets: ≤ 6 KB per ws, ≤ 4 KB per TCP client.
// (b) --total T: T ws clients over several gateway processes (each < 20,000) and several loadgen
//     processes; all verified alive with a round of pings; counts and times.
import { LoadGen } from '../loadgen/index.js';
import { startBare } from '../servers/index.js';
import { startCluster } from '../cluster.js';
import { attach } from '../lib/inspect.js';
import { cpuMsOf, rssOf, sleep } from '../lib/procs.js';
import { kb, round, table } from '../lib/report.js';

export const description = 'idle-connection memory per client (gateway vs bare), and T concurrent clients over several gateways';
export const sizes = {
  tiny: { n: 200, kinds: ['ws', 'tcp'], total: 300, totalGateways: 2, client: 'ws', totalClient: 'wsl', settle: 0.5 },
  small: { n: 2000, kinds: ['ws', 'tcp'], total: 0, totalGateways: 0, client: 'ws', totalClient: 'wsl', settle: 1 },
  full: { n: 18000, kinds: ['ws', 'tcp'], total: 100000, totalGateways: 0, client: 'ws', totalClient: 'wsl', settle: 2 },
};

async function memReader(pid) {
  try {
    const a = await attach(pid);
    return { read: () => a.read(), detach: () => a.detach(), gc: true };
  } catch (err) {
    // no inspector (port 9229 taken): RSS without a forced GC, no heap figure
    return { read: async () => ({ rss: rssOf(pid), heapUsed: null }), detach: async () => {}, gc: false, why: err.message };
  }
}

function perConn(before, after, n) {
  return {
    rssBeforeMB: round(before.rss / 2 ** 20, 1),
    rssAfterMB: round(after.rss / 2 ** 20, 1),
    heapBeforeMB: before.heapUsed === null ? null : round(before.heapUsed / 2 ** 20, 1),
    heapAfterMB: after.heapUsed === null ? null : round(after.heapUsed / 2 ** 20, 1),
    rssPerConnKB: kb((after.rss - before.rss) / n),
    heapPerConnKB: before.heapUsed === null ? null : kb((after.heapUsed - before.heapUsed) / n),
  };
}

// CPU of the server side while the clients connect: the server process, plus for a cluster the
// supervisor (which is in the accept path under node:cluster round-robin, and should not be).
async function idle(lg, { pid, url, kind, n, settle, supervisorPid = null }) {
  const mem = await memReader(pid);
  try {
    const before = await mem.read();
    const cpu0 = [cpuMsOf(pid), supervisorPid === null ? 0 : cpuMsOf(supervisorPid)];
    const c = await lg.connect({ count: n, url, kind, concurrency: 256 });
    const cpu1 = [cpuMsOf(pid), supervisorPid === null ? 0 : cpuMsOf(supervisorPid)];
    await sleep(settle * 1000);
    const ping = await lg.pingAll({ timeoutMs: 30_000 });
    const after = await mem.read();
    const connectCpu = { serverCpuMs: round(cpu1[0] - cpu0[0], 0), supervisorCpuMs: supervisorPid === null ? null : round(cpu1[1] - cpu0[1], 0) };
    return {
      connected: c.connected,
      failed: c.failed,
      connectMs: c.ms,
      ...connectCpu,
      alive: ping.alive,
      gcBeforeRead: mem.gc,
      ...perConn(before, after, n),
    };
  } finally {
    await mem.detach();
  }
}

async function partA(o) {
  const procs = Math.ceil(o.n / 18_000);
  const out = {};
  const lg = await LoadGen.start({ processes: procs });
  try {
    for (const kind of o.kinds) {
      const clientKind = kind === 'tcp' ? 'tcp' : o.client;
      const bare = await startBare(kind === 'tcp' ? 'tcp-echo' : 'ws-echo');
      let b;
      try {
        b = await idle(lg, { pid: bare.pid, url: bare.url, kind: clientKind, n: o.n, settle: o.settle });
      } finally {
        await bare.stop(); // server side closes first: its end keeps the TIME_WAIT, not our source ports
        await lg.close();
      }
      const cluster = await startCluster({ gateways: 1, workers: 1 });
      let g;
      try {
        g = await idle(lg, {
          pid: cluster.gatewayPids[0],
          supervisorPid: cluster.pid,
          url: kind === 'tcp' ? cluster.urls.tcp : cluster.urls.ws,
          kind: clientKind,
          n: o.n,
          settle: o.settle,
        });
      } finally {
        await cluster.stop();
        await lg.close();
      }
      out[kind] = { n: o.n, client: clientKind, bare: b, gateway: g, target: kind === 'tcp' ? 4 : 6 };
    }
  } finally {
    await lg.stop();
  }
  return out;
}

async function partB(o) {
  const total = o.total;
  const gateways = o.totalGateways || Math.max(2, Math.ceil(total / 17_000));
  const procs = Math.max(2, Math.ceil(total / 17_000));
  const lg = await LoadGen.start({ processes: procs });
  try {
    const cluster = await startCluster({ gateways, workers: 1, readyTimeoutMs: 120_000 });
    try {
      const rss0 = cluster.gatewayPids.map((p) => rssOf(p) ?? 0);
      const c = await lg.connect({ count: total, url: cluster.urls.ws, kind: o.totalClient, concurrency: 128, timeoutMs: 30_000 });
      await sleep(o.settle * 1000);
      const ping = await lg.pingAll({ timeoutMs: 60_000 });
      const st = await lg.stats();
      // the gateways report stats to the register every ~2 s: poll until they add up (bounded)
      let perGateway = null;
      for (let k = 0; k < 10; k++) {
        const status = await cluster.status();
        perGateway = status?.gateways?.map((g) => g.stats.clients) ?? null;
        if (perGateway && perGateway.reduce((a, n) => a + n, 0) >= c.connected) break;
        await sleep(1_000);
      }
      const rss = cluster.gatewayPids.map((p) => rssOf(p) ?? 0);
      const res = {
        total,
        gateways,
        loadgenProcesses: procs,
        client: o.totalClient,
        connected: c.connected,
        failed: c.failed,
        failures: c.failures,
        connectMs: c.ms,
        connectPerSec: Math.round(c.connected / (c.ms / 1000)),
        pingMs: ping.ms,
        alive: ping.alive,
        dead: ping.dead,
        disconnects: st.disconnects,
        clientsPerGateway: perGateway,
        gatewayRssMB: rss.map((r) => round(r / 2 ** 20, 0)),
        gatewayRssPerConnKB: kb((rss.reduce((a, r) => a + r, 0) - rss0.reduce((a, r) => a + r, 0)) / Math.max(1, c.connected)),
      };
      return res;
    } finally {
      await cluster.stop(60_000);
      await lg.close();
    }
  } finally {
    await lg.stop();
  }
}

export async function run(o) {
  const kinds = Array.isArray(o.kinds) ? o.kinds : [o.kinds];
  const a = await partA({ ...o, kinds });
  const b = o.total > 0 ? await partB(o) : { skipped: 'run with --total <n> (size full: 100000)' };
  const ratios = Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v.gateway.rssPerConnKB]));
  return { scenario: 'connections', idle: a, total: b, rssPerConnKB: ratios };
}

export function format(r) {
  const rows = [
    [
      'kind',
      'server',
      'clients',
      'alive',
      'connect ms',
      'CPU ms server/supervisor',
      'RSS MB before→after',
      'heap MB before→after',
      'RSS KB/conn',
      'heap KB/conn',
      'target KB',
    ],
  ];
  for (const [kind, v] of Object.entries(r.idle)) {
    for (const [name, m] of [
      [kind === 'tcp' ? 'bare net server' : 'bare ws server', v.bare],
      ['gateway', v.gateway],
    ]) {
      rows.push([
        `${kind} (${v.client})`,
        name,
        m.connected,
        m.alive,
        m.connectMs,
        `${m.serverCpuMs}/${m.supervisorCpuMs ?? '-'}`,
        `${m.rssBeforeMB}→${m.rssAfterMB}`,
        `${m.heapBeforeMB}→${m.heapAfterMB}`,
        m.rssPerConnKB,
        m.heapPerConnKB,
        name === 'gateway' ? v.target : '',
      ]);
    }
  }
  let s = table('connections (a): idle clients on one process (after a forced GC)', rows);
  const t = r.total;
  if (t.skipped) s += `connections (b): skipped (${t.skipped})\n`;
  else
    s += table(`connections (b): ${t.total} ${t.client} clients over ${t.gateways} gateway processes, ${t.loadgenProcesses} loadgen processes`, [
      ['connected', 'failed', 'connect s', 'conn/s', 'alive (ping)', 'ping ms', 'clients per gateway', 'gateway RSS KB/conn'],
      [
        t.connected,
        t.failed,
        round(t.connectMs / 1000, 1),
        t.connectPerSec,
        t.alive,
        t.pingMs,
        (t.clientsPerGateway ?? []).join(' '),
        t.gatewayRssPerConnKB,
      ],
    ]);
  return s;
}
