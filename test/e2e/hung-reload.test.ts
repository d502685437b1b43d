import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWs } from '../helpers/clients.js';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { SteadyClient } from '../helpers/load.js';
import { eventually } from '../helpers/wait.js';

// Issue 9, item 4: one client's onMessage never resolves; a reload drains the worker, whose drain
// times out. Acknowledgements are per event, so only the hung event is redelivered: the other
// clients get no duplicate reply.

const HANDLER = `
export default {
  onMessage(client, message) {
    if (message === 'hang') return new Promise(() => {});
    client.send('echo:' + message);
  },
};
`;

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ gateways: 1, workers: 2, handler: HANDLER, worker: { drainTimeout: '2s' } });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

describe('a hung handler during a reload', () => {
  it('redelivers only the hung event: 0 duplicates to the other clients', async () => {
    const hung = await connectWs(cluster.wsUrl);
    hung.send('hang');
    // status shows the events the gateway really holds per link: the hung one, nothing else (its connect was acknowledged).
    type Links = { gateways: { links: { role: string; unacked: number }[] }[] };
    const held = async (): Promise<number> => {
      const j = JSON.parse((await cluster.cli(['status', '--json'])).stdout) as Links;
      return j.gateways
        .flatMap((g) => g.links)
        .filter((l) => l.role === 'worker')
        .reduce((n, l) => n + l.unacked, 0);
    };
    await eventually(async () => (await held()) === 1, 15_000, 'one held request', 200);
    const text = (await cluster.cli(['status'])).stdout;
    expect(text).toMatch(/^LINK\s+ID\s+WORKER\s+STATE\s+UNACKED/m);
    const steady = await Promise.all(Array.from({ length: 20 }, (_, i) => SteadyClient.open(cluster.wsUrl, `c${i}`)));
    for (const s of steady) s.start(20_000);
    await new Promise((r) => setTimeout(r, 1_000));
    const r = await cluster.cli(['reload'], 120_000);
    expect(r.code).toBe(0);
    await cluster.waitForLog(
      (l) => l.role === 'worker' && l.msg === 'drain timed out; closing anyway (the gateways re-send what was not acknowledged)',
      30_000,
    );
    await new Promise((r) => setTimeout(r, 1_500));
    await Promise.all(steady.map((s) => s.stop()));
    const sent = steady.reduce((n, s) => n + s.sent, 0);
    const answered = steady.reduce((n, s) => n + s.answered, 0);
    const duplicates = steady.reduce((n, s) => n + s.duplicates, 0);
    const redelivered = cluster.logs.filter((l) => l.role === 'gateway' && l.msg === 'worker link lost: redelivering unacknowledged events');
    console.log(JSON.stringify({ sent, answered, duplicates, redelivered: redelivered.map((l) => l['events']) }));
    expect(duplicates).toBe(0);
    expect(answered / sent).toBeGreaterThanOrEqual(0.99);
    // Exactly the hung event went elsewhere.
    expect(redelivered.map((l) => l['events'])).toEqual([1]);
    for (const s of steady) s.close();
    hung.ws.terminate();
  }, 180_000);
});
