// reload-under-load (issue 4): M ws clients each send "S|<seq>" at a steady rate; the handler
// answers "R|<version>|<seq>". p50/p99 reply latency in steady state, then `gateworker reload`
// (handler rewritten with a new version first) and p50/p99 during the reload window (by send
// time), the reload's duration, disconnects, lost / duplicated / out-of-order replies.
// Target: p99 during the reload ≤ 3× steady state, zero disconnects, zero lost or duplicated.
import { LoadGen } from '../loadgen/index.js';
import { startCluster } from '../cluster.js';
import { sleep } from '../lib/procs.js';
import { round, table } from '../lib/report.js';

export const description = 'reply latency in steady state vs during `gateworker reload`, losses, duplicates, disconnects';
export const sizes = {
  tiny: { clients: 20, rate: 10, warmup: 0.5, steady: 2, after: 1, gateways: 1, workers: 2, procs: 1, client: 'ws' },
  small: { clients: 200, rate: 20, warmup: 1, steady: 5, after: 2, gateways: 1, workers: 2, procs: 1, client: 'ws' },
  full: { clients: 1000, rate: 20, warmup: 2, steady: 10, after: 3, gateways: 1, workers: 2, procs: 1, client: 'ws' },
};

export async function run(o) {
  const lg = await LoadGen.start({ processes: o.procs });
  try {
    const cluster = await startCluster({ gateways: o.gateways, workers: o.workers, version: 'v1' });
    try {
      const c = await lg.connect({ count: o.clients, url: cluster.urls.ws, kind: o.client });
      if (c.failed) throw new Error(`reload: ${c.failed} clients failed to connect: ${JSON.stringify(c.failures)}`);
      await lg.seqStart({ ratePerConn: o.rate, phase: 'warmup' });
      await sleep(o.warmup * 1000);
      await lg.phase('steady');
      await sleep(o.steady * 1000);
      cluster.writeHandler('v2');
      await lg.phase('reload');
      const r = await cluster.reload();
      await lg.phase('after');
      await sleep(o.after * 1000);
      const s = await lg.seqStop({ drainMs: 5_000 });
      const st = await lg.stats();
      const h = (p) => s.hists[p]?.summaryMs() ?? { samples: 0, p50: null, p99: null, max: null };
      const steady = h('steady');
      const during = h('reload');
      const after = h('after');
      await lg.close();
      return {
        scenario: 'reload-under-load',
        client: o.client,
        clients: o.clients,
        ratePerClient: o.rate,
        gateways: o.gateways,
        workers: o.workers,
        reload: { exitCode: r.code, ms: r.ms, output: r.output.split('\n').slice(-3).join(' | ') },
        steady: { samples: steady.samples, p50: steady.p50, p99: steady.p99, max: steady.max },
        during: { samples: during.samples, p50: during.p50, p99: during.p99, max: during.max },
        after: { samples: after.samples, p50: after.p50, p99: after.p99, max: after.max },
        sent: s.sent,
        answered: s.answered,
        lost: s.unanswered,
        lostByPhase: s.lostByPhase,
        duplicates: s.dups,
        outOfOrder: s.outOfOrder,
        badReplies: s.bad,
        disconnects: s.disconnects + 0,
        disconnectsTotal: st.disconnects,
        versions: s.versions,
        ratio: steady.p99 ? round(during.p99 / steady.p99, 2) : null,
        target: 3,
      };
    } finally {
      await cluster.stop();
    }
  } finally {
    await lg.stop();
  }
}

export function format(r) {
  return (
    table(
      `reload-under-load (${r.clients} ${r.client} clients × ${r.ratePerClient} msg/s; ${r.gateways} gw + ${r.workers} wk; reload exit ${r.reload.exitCode} in ${r.reload.ms} ms)`,
      [
        ['window', 'replies', 'p50 ms', 'p99 ms', 'max ms'],
        ['steady', r.steady.samples, r.steady.p50, r.steady.p99, r.steady.max],
        ['during reload', r.during.samples, r.during.p50, r.during.p99, r.during.max],
        ['after reload', r.after.samples, r.after.p50, r.after.p99, r.after.max],
        [`ratio p99 reload/steady (target ≤ ${r.target})`, r.ratio, '', '', ''],
      ],
    ) +
    table('reload-under-load: integrity', [
      ['sent', 'answered', 'lost', 'duplicates', 'out of order', 'disconnects', 'versions'],
      [r.sent, r.answered, r.lost, r.duplicates, r.outOfOrder, r.disconnectsTotal, JSON.stringify(r.versions)],
    ])
  );
}
