import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import { connectWs, type WsClient } from '../helpers/clients.js';
import { startCluster, type Cluster } from '../helpers/cluster.js';

// Issue 9, item 8: the send bound applies to what stays queued once the kernel took what it could.
// One handler turn that queues 50 × 64 KiB to 5 fast readers closes nobody; a client that stops
// reading is closed with ws 1008 "slow client", the close frame queued behind its backlog.

const HANDLER = `
export default {
  onConnect(client) { client.send(JSON.stringify({ id: client.id })); },
  onMessage(client, message) {
    const cmd = JSON.parse(message);
    const chunk = Buffer.alloc(cmd.size, 0x61);
    if (cmd.op === 'burst') {
      // One turn: every send of the burst is queued before anything is written.
      for (let i = 0; i < cmd.count; i++) for (const id of cmd.ids) void client.gateway.sendToClient(id, chunk);
      client.send('burst sent');
    } else if (cmd.op === 'flood') {
      let left = cmd.count;
      const timer = setInterval(() => {
        for (let i = 0; i < 16 && left > 0; i++, left--) void client.gateway.sendToClient(cmd.id, chunk);
        if (left === 0) clearInterval(timer);
      }, 5);
      client.send('flooding');
    }
  },
};
`;

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ gateways: 1, workers: 1, handler: HANDLER });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

async function connectWithId(): Promise<{ client: WsClient; id: string }> {
  const client = await connectWs(cluster.wsUrl);
  const { id } = await client.nextJson<{ id: string }>(10_000);
  return { client, id };
}

describe('slow clients', () => {
  it('a burst of 50 × 64 KiB to 5 fast readers in one handler turn closes nobody', async () => {
    const readers = await Promise.all(Array.from({ length: 5 }, () => connectWithId()));
    const counts = readers.map(() => 0);
    const done = readers.map(
      ({ client }, i) =>
        new Promise<void>((resolve, reject) => {
          client.ws.on('message', (data: Buffer) => {
            if (data.length !== 64 * 1024) return;
            counts[i]!++;
            if (counts[i] === 50) resolve();
          });
          void client.closed.then(({ code }) => reject(new Error(`reader ${i} closed with ${code} after ${counts[i]} messages`)));
        }),
    );
    const controller = await connectWithId();
    controller.client.send(JSON.stringify({ op: 'burst', ids: readers.map((r) => r.id), count: 50, size: 64 * 1024 }));
    expect(await controller.client.next(10_000)).toBe('burst sent');
    await Promise.race([
      Promise.all(done),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`burst not delivered: ${counts.join(',')}`)), 20_000)),
    ]);
    expect(counts).toEqual([50, 50, 50, 50, 50]);
    expect(cluster.logs.some((l) => l.msg === 'slow client: send buffer full, closing it')).toBe(false);
    await Promise.all([...readers.map((r) => r.client.close()), controller.client.close()]);
  }, 60_000);

  it('a client that stops reading is closed with 1008 "slow client" (seen once it reads again), and counted in the log', async () => {
    const slow = await connectWithId();
    const socket = (slow.client.ws as unknown as { _socket: Socket })._socket;
    socket.pause();
    const controller = await connectWithId();
    // 600 × 64 KiB = 37.5 MiB: more than the kernel buffers of a paused loopback reader hold.
    controller.client.send(JSON.stringify({ op: 'flood', id: slow.id, count: 600, size: 64 * 1024 }));
    expect(await controller.client.next(10_000)).toBe('flooding');
    const line = await cluster.waitForLog((l) => l.role === 'gateway' && l.msg === 'slow client: send buffer full, closing it', 30_000);
    expect(line['maxBytes']).toBe(1024 * 1024);
    // Reading again, the client gets its backlog and then the close frame.
    socket.resume();
    const closed = await Promise.race([
      slow.client.closed,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('slow client not closed')), 20_000)),
    ]);
    expect(closed).toEqual({ code: 1008, reason: 'slow client' });
    // The controller (a normal client) is still served.
    controller.client.send(JSON.stringify({ op: 'burst', ids: [], count: 0, size: 1 }));
    expect(await controller.client.next(10_000)).toBe('burst sent');
    await controller.client.close();
  }, 90_000);
});
