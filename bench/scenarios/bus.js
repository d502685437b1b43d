// bus: N receivers, each bound to its own uid u<i>; every round pushes one message to all N uids,
// (a) through Redis (the bus: `PUBLISH` of a sendToUid message, every gateway process subscribed)
// and (b) through GatewayClient (the Node API), each in two shapes: one message / call per uid
// (N per round) and one message / call naming all N uids. Deliveries/s = deliveries / (last
// delivery − first send), same receivers, same run. A real redis-server on a free port.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayClient } from '@gateworker/worker';
import { Redis } from 'ioredis';
import { startCluster } from '../cluster.js';
import { LoadGen } from '../loadgen/index.js';
import { freePort, sleep, track, untrack } from '../lib/procs.js';
import { round, table } from '../lib/report.js';
import { rounds } from './fanout.js';

export const description = 'sendToUid to N uids through the Redis bus vs through GatewayClient: deliveries/s, per-uid and batched';
export const sizes = {
  tiny: { receivers: 200, rounds: 3, size: 64, gateways: 2, workers: 1, client: 'wsl', timeout: 20 },
  small: { receivers: 1000, rounds: 10, size: 64, gateways: 2, workers: 1, client: 'wsl', timeout: 30 },
  full: { receivers: 1000, rounds: 40, size: 64, gateways: 2, workers: 1, client: 'wsl', timeout: 60 },
};

const CHANNEL = 'bench:push';

async function startRedis() {
  const dir = mkdtempSync(join(tmpdir(), 'gateworker-bench-redis-'));
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  track(child.pid, 'redis-server');
  await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('redis-server not ready within 15 s')), 15_000);
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      if (out.includes('Ready to accept connections')) (clearTimeout(timer), resolve());
    });
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`redis-server exited (${code})`))));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid,
    async stop() {
      child.kill('SIGKILL');
      untrack(child.pid);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function payloadOf(id, size) {
  const head = `B|${id}|`;
  return head + 'x'.repeat(Math.max(0, size - head.length));
}

export async function run(o) {
  const n = o.receivers;
  const redis = await startRedis();
  const lg = await LoadGen.start({ processes: Math.max(1, Math.ceil(n / 17_000)) });
  let cluster = null;
  let pub = null;
  let gc = null;
  try {
    cluster = await startCluster({
      gateways: o.gateways,
      workers: o.workers,
      extraTop: ['bus:', `  redis: { url: "${redis.url}", channel: "${CHANNEL}" }`],
    });
    pub = new Redis(redis.url);
    // Every gateway process subscribed before measuring.
    for (;;) {
      const [, subs] = await pub.pubsub('NUMSUB', CHANNEL);
      if (Number(subs) >= o.gateways) break;
      await sleep(100);
    }
    gc = new GatewayClient({ registers: [`127.0.0.1:${cluster.ports.register}`], secret: cluster.secret });
    await gc.ready();
    const base = lg.nextIndex;
    const c = await lg.connect({ count: n, url: cluster.urls.ws, kind: o.client, hello: 'J|{i}' });
    if (c.failed) throw new Error(`bus: ${c.failed} receivers failed to connect: ${JSON.stringify(c.failures)}`);
    const uids = Array.from({ length: n }, (_, k) => `u${base + k}`);
    const pids = [...cluster.gatewayPids, ...cluster.workerPids, redis.pid];
    const common = { count: o.rounds, window: 1, receivers: n, timeoutMs: o.timeout * 1000, pids, message: (id) => payloadOf(id, o.size) };
    // Labels in format(); keys in the JSON line.
    const modes = {
      redisPerUid: (data) => {
        const p = pub.pipeline();
        for (const uid of uids) p.publish(CHANNEL, JSON.stringify({ op: 'sendToUid', uid, data }));
        void p.exec();
      },
      redisBatch: (data) => void pub.publish(CHANNEL, JSON.stringify({ op: 'sendToUid', uids, data })),
      gatewayClientPerUid: (data) => {
        for (const uid of uids) void gc.sendToUid(uid, data);
      },
      gatewayClientBatch: (data) => void gc.sendToUid(uids, data),
    };
    const results = {};
    for (const [name, send] of Object.entries(modes)) {
      results[name] = await rounds(lg, send, common);
      await sleep(300);
    }
    const perUid = results.gatewayClientPerUid.deliveriesPerSec;
    const batch = results.gatewayClientBatch.deliveriesPerSec;
    return {
      scenario: 'bus',
      receivers: n,
      payloadBytes: o.size,
      rounds: o.rounds,
      gateways: o.gateways,
      modes: results,
      ratioPerUid: perUid > 0 ? round(results.redisPerUid.deliveriesPerSec / perUid, 3) : null,
      ratioBatch: batch > 0 ? round(results.redisBatch.deliveriesPerSec / batch, 3) : null,
    };
  } finally {
    await gc?.close().catch(() => {});
    pub?.disconnect();
    await lg.close().catch(() => {});
    await lg.stop();
    await cluster?.stop();
    await redis.stop();
  }
}

const LABELS = {
  redisPerUid: 'Redis bus, 1 PUBLISH per uid',
  redisBatch: 'Redis bus, 1 PUBLISH naming all uids',
  gatewayClientPerUid: 'GatewayClient, 1 sendToUid call per uid',
  gatewayClientBatch: 'GatewayClient, 1 sendToUid call with all uids',
};

export function format(r) {
  const rows = [['mode', 'deliveries/s', 'delivered/expected', 'last-delivery p50 ms', 'max ms', 'server CPU µs/delivery']];
  for (const [name, m] of Object.entries(r.modes)) {
    rows.push([
      LABELS[name] ?? name,
      m.deliveriesPerSec,
      `${m.delivered}/${m.expected}`,
      m.lastDeliveryMs.p50,
      m.lastDeliveryMs.max,
      m.serverCpuUsPerDelivery,
    ]);
  }
  rows.push(['ratio redis/GatewayClient, per uid', r.ratioPerUid, '', '', '', '']);
  rows.push(['ratio redis/GatewayClient, batched', r.ratioBatch, '', '', '', '']);
  return table(`bus: sendToUid to ${r.receivers} uids (${r.payloadBytes} B, ${r.rounds} rounds; ${r.gateways} gateway processes)`, rows);
}
