import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startCluster, type Cluster } from '../helpers/cluster.js';

// Issue 9, item 3: a worker that stops reading (SIGSTOP) while clients send 8,000 × 10 KB (76 MiB),
// then resumes, gets the whole backlog in order under the link's flow-control window: no link is
// closed ("peer is not reading"), nothing is dropped or redelivered.

const HANDLER = `
export default {
  onMessage(client, message) {
    client.send('ok:' + message.slice(0, message.indexOf('|')));
  },
};
`;
const CLIENTS = 8;
const PER_CLIENT = 1000;
const MESSAGE_BYTES = 10 * 1000;

let cluster: Cluster;
let workerPid: number;

beforeAll(async () => {
  cluster = await startCluster({ gateways: 1, workers: 1, handler: HANDLER });
  const ready = cluster.logs.find((l) => l.msg === 'cluster ready') as { children: { role: string; pid: number }[] };
  workerPid = ready.children.find((c) => c.role === 'worker')!.pid;
}, 60_000);

afterAll(async () => {
  try {
    process.kill(workerPid, 'SIGCONT');
  } catch {
    /* gone */
  }
  await cluster?.stop();
});

describe('backlog', () => {
  it(`${CLIENTS * PER_CLIENT} × 10 KB held while the worker is stopped are delivered in order, without a link close`, async () => {
    const sockets = await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        const ws = new WebSocket(cluster.wsUrl);
        await new Promise<void>((resolve, reject) => {
          ws.once('open', () => resolve());
          ws.once('error', reject);
        });
        return ws;
      }),
    );
    const replies = sockets.map(() => [] as number[]);
    const done = sockets.map(
      (ws, k) =>
        new Promise<void>((resolve) => {
          ws.on('message', (data: Buffer) => {
            replies[k]!.push(Number(data.toString().slice(3)));
            if (replies[k]!.length === PER_CLIENT) resolve();
          });
        }),
    );
    const pad = 'x'.repeat(MESSAGE_BYTES);
    process.kill(workerPid, 'SIGSTOP');
    try {
      for (let i = 0; i < PER_CLIENT; i++) for (const ws of sockets) ws.send(`${i}|${pad}`.slice(0, MESSAGE_BYTES));
      // Wait until everything is written to the gateway (the client side has nothing buffered).
      const deadline = Date.now() + 30_000;
      while (sockets.some((ws) => ws.bufferedAmount > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      process.kill(workerPid, 'SIGCONT');
    }
    await Promise.race([
      Promise.all(done),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`backlog not delivered: ${replies.map((r) => r.length).join(',')}`)), 90_000)),
    ]);
    for (const r of replies) expect(r).toEqual(Array.from({ length: PER_CLIENT }, (_, i) => i));
    const gatewayLines = cluster.logs.filter((l) => l.role === 'gateway');
    expect(gatewayLines.filter((l) => l.msg === 'internal link closed with an error' || l.msg === 'worker link lost: redelivering unacknowledged events')).toEqual([]);
    expect(gatewayLines.filter((l) => String(l.msg).includes('dropping client events'))).toEqual([]);
    for (const ws of sockets) ws.terminate();
  }, 150_000);
});
