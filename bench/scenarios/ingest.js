// ingest: one-way client messages into the workers per second. The loadgen sends "I…" messages
// (flow-controlled by each socket's buffered amount; --rate caps the total, 0 = as fast as it can);
// the handler counts them and each worker publishes its count to group "ctl", which a control
// client joined. handled/s = handled / (time the handled count stopped rising − start).
// Reference: the bare ws server counting the same messages.
import WebSocket from 'ws';
import { LoadGen } from '../loadgen/index.js';
import { startBare } from '../servers/index.js';
import { startCluster } from '../cluster.js';
import { now, sleep } from '../lib/procs.js';
import { round, table } from '../lib/report.js';

export const description = 'one-way client messages into workers per second';
export const sizes = {
  tiny: { conns: 20, seconds: 2, size: 32, rate: 0, gateways: 1, workers: 1, procs: 1, client: 'ws' },
  small: { conns: 100, seconds: 5, size: 32, rate: 0, gateways: 1, workers: 1, procs: 1, client: 'ws' },
  full: { conns: 1000, seconds: 10, size: 32, rate: 0, gateways: 1, workers: 2, procs: 1, client: 'ws' },
};

/** Polls `read()` until it reaches `target` or stops rising for `quietMs`; returns {count, at}. */
async function settle(read, target, quietMs, limitMs) {
  const deadline = now() + limitMs;
  let last = await read();
  let lastChange = now();
  while (now() < deadline && last.count < target && now() - lastChange < quietMs) {
    await sleep(50);
    const cur = await read();
    if (cur.count !== last.count) lastChange = now();
    last = cur;
  }
  return last;
}

export async function run(o) {
  const lg = await LoadGen.start({ processes: o.procs });
  try {
    // bare reference
    const bare = await startBare('ws-echo');
    let b;
    try {
      const c = await lg.connect({ count: o.conns, url: bare.url, kind: o.client });
      if (c.failed) throw new Error(`ingest: ${c.failed} connections failed: ${JSON.stringify(c.failures)}`);
      const base = (await bare.call('count')).ingested;
      const t0 = now();
      const s = await lg.ingest({ durationMs: o.seconds * 1000, rate: o.rate, size: o.size });
      let at = now();
      const fin = await settle(
        async () => {
          const r = await bare.call('count');
          at = now();
          return { count: r.ingested - base, at };
        },
        s.sent,
        1_000,
        30_000,
      );
      b = { sent: s.sent, handled: fin.count, handledPerSec: Math.round(fin.count / ((fin.at - t0) / 1000)) };
      await lg.close();
    } finally {
      await bare.stop();
    }

    const cluster = await startCluster({ gateways: o.gateways, workers: o.workers });
    let c;
    try {
      const counts = new Map();
      let lastUpdate = 0;
      const ctl = new WebSocket(cluster.urls.ws, { perMessageDeflate: false });
      await new Promise((resolve, reject) => {
        ctl.once('open', resolve);
        ctl.once('error', reject);
      });
      ctl.on('error', () => {});
      const joined = new Promise((r) => ctl.once('message', r));
      ctl.send('C');
      await joined;
      ctl.on('message', (data) => {
        const [tag, pid, n] = String(data).split('|');
        if (tag !== 'N') return;
        counts.set(pid, Number(n));
        lastUpdate = now();
      });
      const total = () => [...counts.values()].reduce((a, n) => a + n, 0);
      const conn = await lg.connect({ count: o.conns, url: cluster.urls.ws, kind: o.client });
      if (conn.failed) throw new Error(`ingest: ${conn.failed} connections failed: ${JSON.stringify(conn.failures)}`);
      const base = total();
      const t0 = now();
      const s = await lg.ingest({ durationMs: o.seconds * 1000, rate: o.rate, size: o.size });
      const sendMs = now() - t0;
      // the workers publish every 100 ms; wait until the count reaches what was sent or stalls for 2 s
      const fin = await settle(async () => ({ count: total() - base, at: lastUpdate }), s.sent, 2_000, 60_000);
      const st = await lg.stats();
      c = {
        sent: s.sent,
        handled: fin.count,
        handledPerSec: Math.round(fin.count / ((fin.at - t0) / 1000)),
        sendPerSec: Math.round(s.sent / (sendMs / 1000)),
        drainMsAfterSend: round(Math.max(0, fin.at - t0 - sendMs), 0),
        disconnects: st.disconnects,
        workers: counts.size,
      };
      ctl.terminate();
      await lg.close();
    } finally {
      await cluster.stop();
    }
    return {
      scenario: 'ingest',
      client: o.client,
      conns: o.conns,
      payloadBytes: o.size,
      seconds: o.seconds,
      rateCap: o.rate,
      gateways: o.gateways,
      workers: o.workers,
      bare: b,
      cluster: c,
      ratio: b.handledPerSec ? round(c.handledPerSec / b.handledPerSec, 3) : null,
    };
  } finally {
    await lg.stop();
  }
}

export function format(r) {
  return table(
    `ingest (${r.conns} ${r.client} conns, ${r.payloadBytes} B one-way, ${r.seconds} s, rate cap ${r.rateCap || 'none'}; cluster ${r.gateways} gw + ${r.workers} wk)`,
    [
      ['', 'sent', 'handled', 'handled/s', 'drain after send ms'],
      ['bare ws (counts)', r.bare.sent, r.bare.handled, r.bare.handledPerSec, ''],
      ['gateworker (handler counts)', r.cluster.sent, r.cluster.handled, r.cluster.handledPerSec, r.cluster.drainMsAfterSend],
      ['ratio cluster/bare', '', '', r.ratio, ''],
    ],
  );
}
