import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWs } from '../helpers/clients.js';
import { startCluster, type Cluster } from '../helpers/cluster.js';

// Guarantee: unauthenticated peers cost almost nothing (issue 9, item 5). 1,000 connections to the
// register and to a gateway's internal port, each announcing a 15 MiB frame and sending 256 KiB of
// it, must not grow either process by 64 MiB, and the cluster keeps serving.

const ECHO = `export default { onMessage(client, message) { client.send(message); } };`;
const CONNECTIONS = 1000;
const PARTIAL_BYTES = 256 * 1024;
const MAX_GROWTH_BYTES = 64 * 1024 * 1024;

let cluster: Cluster;
let pids: { role: string; pid: number }[];
let internalPort: number;

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/** Opens `count` connections that each announce a 15 MiB frame and send part of it; resolves when every one is closed. */
async function flood(port: number, count: number): Promise<{ closedByServer: number }> {
  // Closed by the server = closed (FIN or RST) before our own 20 s give-up timer.
  const header = Buffer.alloc(4);
  header.writeUInt32BE(15 * 1024 * 1024, 0);
  const partial = Buffer.concat([header, Buffer.alloc(PARTIAL_BYTES, 0x41)]);
  let closedByServer = 0;
  const sockets: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    sockets.push(
      new Promise<void>((resolve) => {
        const s: Socket = connect({ host: '127.0.0.1', port });
        s.on('error', () => {});
        s.once('connect', () => s.write(partial));
        s.resume();
        let gaveUp = false;
        s.once('close', () => {
          if (!gaveUp) closedByServer++;
          resolve();
        });
        // A server that keeps the connection open would hang the test: give up after 20 s.
        s.setTimeout(20_000, () => {
          gaveUp = true;
          s.destroy();
        });
      }),
    );
  }
  await Promise.all(sockets);
  return { closedByServer };
}

beforeAll(async () => {
  cluster = await startCluster({ gateways: 1, workers: 1, handler: ECHO });
  const ready = cluster.logs.find((l) => l.msg === 'cluster ready') as { children: { role: string; pid: number }[] };
  pids = ready.children;
  internalPort = Number(cluster.internalAddresses[0]?.split(':')[1]);
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

describe('unauthenticated peers', () => {
  for (const target of ['register', 'gateway'] as const) {
    it(`${CONNECTIONS} pre-auth connections with oversized frames add < 64 MiB to the ${target}, and are all closed`, async () => {
      const pid = pids.find((p) => p.role === target)!.pid;
      const port = target === 'register' ? Number(cluster.registerAddress.split(':')[1]) : internalPort;
      const before = rssBytes(pid);
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 20);
      try {
        const { closedByServer } = await flood(port, CONNECTIONS);
        // Every connection was closed by the server (refused at accept or failed on the frame length), not by our timeout.
        expect(closedByServer).toBe(CONNECTIONS);
      } finally {
        clearInterval(sampler);
      }
      peak = Math.max(peak, rssBytes(pid));
      const mib = (b: number): number => Math.round((b / 1048576) * 10) / 10;
      console.log(
        JSON.stringify({ target, connections: CONNECTIONS, rssBeforeMiB: mib(before), rssPeakMiB: mib(peak), rssAfterMiB: mib(rssBytes(pid)) }),
      );
      expect(peak - before).toBeLessThan(MAX_GROWTH_BYTES);
      expect(rssBytes(pid) - before).toBeLessThan(MAX_GROWTH_BYTES);
      // The cluster still serves: a client's message round-trips through the gateway and the worker.
      const client = await connectWs(cluster.wsUrl);
      client.send('still serving');
      expect(await client.next(10_000)).toBe('still serving');
      await client.close();
    }, 90_000);
  }

  it('a gateway counts and logs connections dropped by the pre-auth limit', async () => {
    // Idle connections (nothing sent) stay in the handshake until its timeout: past the per-address limit they are dropped at once.
    const sockets: Socket[] = [];
    const closed: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      const s = connect({ host: '127.0.0.1', port: internalPort });
      s.on('error', () => {});
      closed.push(new Promise((resolve) => s.once('close', () => resolve())));
      sockets.push(s);
    }
    const line = await cluster.waitForLog(
      (l) => l.role === 'gateway' && l.msg === 'internal connection dropped: too many connections still in the handshake',
      10_000,
    );
    expect(line['maxPerAddress']).toBe(64);
    for (const s of sockets) s.destroy();
    await Promise.all(closed);
  }, 30_000);
});
