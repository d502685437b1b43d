// fanout: N receivers; a trigger client makes the server broadcast K messages (at most `window`
// outstanding). Deliveries/s = deliveries / (last delivery − first trigger), and the last-delivery
// latency of each broadcast. Bare: bench/servers/bare-ws-broadcast.js (frame built once with
// Sender.frame, per socket cork/write/write/uncork). Cluster: the handler calls
// client.gateway.sendToAll / sendToGroup / sendToUid (one sendToUid call per receiver).
// Target: cluster sendToAll ≥ 1.25× bare, same receivers, same run.
import WebSocket from 'ws';
import { LoadGen } from '../loadgen/index.js';
import { startBare } from '../servers/index.js';
import { startCluster } from '../cluster.js';
import { Histogram } from '../lib/hist.js';
import { cpuMsOf, now, sleep } from '../lib/procs.js';
import { round, table } from '../lib/report.js';

export const description = 'broadcast deliveries/s and last-delivery latency, cluster sendToAll vs bare ws broadcast; sendToGroup, sendToUid';
export const sizes = {
  tiny: { receivers: [100], broadcasts: 10, window: 4, size: 64, uidRounds: 2, gateways: 1, workers: 1, procs: 1, client: 'wsl', timeout: 10 },
  small: {
    receivers: [1000, 5000],
    broadcasts: 40,
    window: 4,
    size: 64,
    uidRounds: 4,
    gateways: 1,
    workers: 1,
    procs: 1,
    client: 'wsl',
    timeout: 20,
  },
  full: {
    receivers: [1000, 10000],
    broadcasts: 100,
    window: 4,
    size: 64,
    uidRounds: 10,
    gateways: 1,
    workers: 1,
    procs: 1,
    client: 'wsl',
    timeout: 30,
  },
};

const cpu = (pids) => pids.reduce((n, p) => n + (cpuMsOf(p) ?? 0), 0);

async function trigger(url, hello = null) {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.on('error', () => {});
  if (hello !== null) {
    const reply = new Promise((r) => ws.once('message', r));
    ws.send(hello);
    await reply;
  }
  return ws;
}

let nextId = 1;

/**
 * K broadcasts, `window` outstanding; `message(id)` builds the trigger, `send` (a ws, or a
 * function) sends it. Shared with the bus scenario.
 */
export async function rounds(lg, ws, { count, window, message, receivers, timeoutMs, pids }) {
  const send = typeof ws === 'function' ? ws : (m) => ws.send(m);
  const sendTs = new Map();
  const doneBy = new Map(); // id -> processes done
  const lastOf = new Map();
  const lat = new Histogram();
  let completed = 0;
  let lastDelivery = 0;
  let fired = 0;
  let finish;
  const finished = new Promise((r) => (finish = r));
  const procsWithReceivers = lg.children.filter((c) => c.held > 0).length;
  const fire = () => {
    const id = nextId++;
    fired++;
    sendTs.set(id, now());
    send(message(id));
  };
  const rec = await lg.receive((id, m) => {
    if (!sendTs.has(id)) return;
    const n = (doneBy.get(id) ?? 0) + 1;
    doneBy.set(id, n);
    lastOf.set(id, Math.max(lastOf.get(id) ?? 0, m.last));
    if (n === procsWithReceivers) {
      completed++;
      lastDelivery = Math.max(lastDelivery, lastOf.get(id));
      lat.record(Math.round((lastOf.get(id) - sendTs.get(id)) * 1000));
      if (completed === count) finish();
      else if (fired < count) fire();
    }
  });
  const c0 = cpu(pids);
  const t0 = now();
  for (let k = 0; k < Math.min(window, count); k++) fire();
  const timer = sleep(timeoutMs).then(() => 'timeout');
  const outcome = await Promise.race([finished.then(() => 'ok'), timer]);
  const serverCpuMs = cpu(pids) - c0;
  if (outcome !== 'ok') await sleep(200);
  const stops = await rec.stop();
  const delivered = stops.reduce((n, s) => n + s.total, 0);
  let last = lastDelivery;
  for (const s of stops) for (const e of Object.values(s.ids)) last = Math.max(last, e.last);
  const ms = last > t0 ? last - t0 : null;
  const l = lat.summaryMs();
  return {
    broadcasts: count,
    completed,
    expected: count * receivers,
    delivered,
    deliveriesPerSec: ms ? Math.round(delivered / (ms / 1000)) : 0,
    ms: round(ms, 1),
    lastDeliveryMs: { p50: l.p50, p99: l.p99, max: l.max },
    serverCpuUsPerDelivery: delivered > 0 ? round((serverCpuMs * 1000) / delivered, 2) : null,
  };
}

export async function run(o) {
  const receiversList = Array.isArray(o.receivers) ? o.receivers : [o.receivers];
  const procs = Math.max(o.procs, Math.ceil(Math.max(...receiversList) / 17_000));
  const lg = await LoadGen.start({ processes: procs });
  const results = [];
  try {
    const cluster = await startCluster({ gateways: o.gateways, workers: o.workers });
    const clusterPids = [...cluster.gatewayPids, ...cluster.workerPids];
    try {
      for (const n of receiversList) {
        const timeoutMs = o.timeout * 1000;
        const row = { receivers: n };
        // bare baseline
        const bare = await startBare('ws-broadcast');
        try {
          const c = await lg.connect({ count: n, url: bare.url, kind: o.client });
          if (c.failed) throw new Error(`fanout: ${c.failed} receivers failed to connect to the bare server: ${JSON.stringify(c.failures)}`);
          const ws = await trigger(bare.url);
          row.bare = await rounds(lg, ws, {
            count: o.broadcasts,
            window: o.window,
            receivers: n,
            timeoutMs,
            pids: [bare.pid],
            message: (id) => `A|${id}|${o.size}`,
          });
          ws.terminate();
        } finally {
          await bare.stop();
          await lg.close();
        }
        // cluster: receivers bind uid u<i> and join group g
        const base = lg.nextIndex;
        const c = await lg.connect({ count: n, url: cluster.urls.ws, kind: o.client, hello: 'J|{i}' });
        if (c.failed) throw new Error(`fanout: ${c.failed} receivers failed to connect to the cluster: ${JSON.stringify(c.failures)}`);
        const ws = await trigger(cluster.urls.ws);
        try {
          const common = { window: o.window, receivers: n, timeoutMs, pids: clusterPids };
          row.sendToAll = await rounds(lg, ws, { ...common, count: o.broadcasts, message: (id) => `A|${id}|${o.size}` });
          row.sendToGroup = await rounds(lg, ws, { ...common, count: o.broadcasts, message: (id) => `G|${id}|${o.size}` });
          row.sendToUid = await rounds(lg, ws, {
            ...common,
            count: o.uidRounds,
            window: 1,
            message: (id) => `U|${id}|${o.size}|${base}|${base + n}`,
          });
        } finally {
          ws.terminate();
          await lg.close();
        }
        row.ratio = row.bare.deliveriesPerSec > 0 ? round(row.sendToAll.deliveriesPerSec / row.bare.deliveriesPerSec, 3) : null;
        results.push(row);
        await sleep(300);
      }
    } finally {
      await cluster.stop();
    }
  } finally {
    await lg.stop();
  }
  return {
    scenario: 'fanout',
    client: o.client,
    payloadBytes: o.size,
    broadcasts: o.broadcasts,
    window: o.window,
    gateways: o.gateways,
    workers: o.workers,
    runs: results,
    ratio: results.length ? Math.min(...results.map((r) => r.ratio ?? 0)) : null,
    target: 1.25,
  };
}

export function format(r) {
  const rows = [['receivers', 'mode', 'deliveries/s', 'delivered/expected', 'last-delivery p50 ms', 'max ms', 'server CPU µs/delivery']];
  for (const x of r.runs) {
    for (const [name, m] of [
      ['bare ws broadcast', x.bare],
      ['sendToAll', x.sendToAll],
      ['sendToGroup', x.sendToGroup],
      ['sendToUid (1 call/receiver)', x.sendToUid],
    ]) {
      if (!m) continue;
      rows.push([
        x.receivers,
        name,
        m.deliveriesPerSec,
        `${m.delivered}/${m.expected}`,
        m.lastDeliveryMs.p50,
        m.lastDeliveryMs.max,
        m.serverCpuUsPerDelivery,
      ]);
    }
    rows.push([x.receivers, `ratio sendToAll/bare (target ≥ ${r.target})`, x.ratio, '', '', '', '']);
  }
  return table(
    `fanout (${r.client} receivers, ${r.payloadBytes} B, ${r.broadcasts} broadcasts, window ${r.window}; cluster ${r.gateways} gw + ${r.workers} wk)`,
    rows,
  );
}
