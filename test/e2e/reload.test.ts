import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startCluster, type Cluster } from '../helpers/cluster.js';

// Guarantees 3 and 4 under continuous load, through the CLI: 200 ws clients send
// sequence-numbered messages at a steady rate; three `gateworker reload`s with the handler changed
// between them; then a SIGKILL of one worker; then a reload whose handler does not load.

const CLIENTS = 200;
const SEND_INTERVAL_MS = 100;

const handlerVersion = (version: string) => `
const VERSION = ${JSON.stringify(version)};
export default {
  onConnect(client) {
    client.bindUid('user-' + client.id);
  },
  onMessage(client, message) {
    // The uid was bound by whichever worker saw the connect: after a handover the new worker
    // must still know it (it travels with the session).
    client.send(VERSION + ' ' + message + ' ' + (client.uid ?? '-'));
  },
};
`;

/** Conditions waiting for the load to progress; re-checked on every send and every reply. */
const watchers = new Set<() => void>();
function progressed(): void {
  for (const w of watchers) w();
}

/** Resolves once `condition` holds (checked as sends and replies happen); false after the time is up. */
function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  if (condition()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      watchers.delete(check);
      clearTimeout(timer);
      resolve(ok);
    };
    const check = () => {
      if (condition()) done(true);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    watchers.add(check);
  });
}

/** One load client: sends 0, 1, 2, … and checks every reply. */
class SeqClient {
  sent = 0;
  /** Highest sequence answered so far (−1: none). */
  highest = -1;
  answered = new Set<number>();
  duplicates = 0;
  outOfOrder = 0;
  /** Replies whose handler did not see the uid bound at connect. */
  wrongUid = 0;
  closed = false;
  /** Version that answered each sequence number. */
  versions = new Map<number, string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const [version, seqText, uid] = data.toString().split(' ');
      const seq = Number(seqText);
      if (uid === undefined || !uid.startsWith('user-')) this.wrongUid++;
      if (this.answered.has(seq)) this.duplicates++;
      else if (seq < this.highest) this.outOfOrder++;
      this.answered.add(seq);
      this.versions.set(seq, version as string);
      this.highest = Math.max(this.highest, seq);
      progressed();
    });
    ws.on('close', () => (this.closed = true));
  }

  start(offsetMs: number): void {
    setTimeout(() => {
      this.timer = setInterval(() => {
        this.ws.send(String(this.sent++));
        progressed();
      }, SEND_INTERVAL_MS);
    }, offsetMs);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  missing(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.sent; i++) if (!this.answered.has(i)) out.push(i);
    return out;
  }
}

let cluster: Cluster;
const clients: SeqClient[] = [];

/** Waits until every message sent so far is answered (the assertions that follow tell what is missing). */
async function allAnswered(timeoutMs: number): Promise<void> {
  await until(() => clients.every((c) => c.answered.size >= c.sent), timeoutMs);
}

/** Waits until every client has sent `count` more messages than at `marks`. */
async function sentMore(marks: number[], count: number): Promise<void> {
  const ok = await until(() => clients.every((c, i) => c.sent >= (marks[i] as number) + count), 10_000);
  if (!ok) throw new Error(`clients did not send ${count} more messages within 10 s`);
}

beforeAll(async () => {
  cluster = await startCluster({ gateways: 1, workers: 2, handler: handlerVersion('v1'), logLevel: 'warn' });
  for (let i = 0; i < CLIENTS; i++) {
    const ws = new WebSocket(cluster.wsUrl);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    clients.push(new SeqClient(ws));
  }
  clients.forEach((c, i) => c.start((i * SEND_INTERVAL_MS) / CLIENTS));
}, 60_000);

afterAll(async () => {
  for (const c of clients) {
    c.stop();
    c.ws.terminate();
  }
  await cluster?.stop();
});

describe('rolling reload under load', () => {
  it('three reloads: no disconnect, every message answered once and in order, new version after each', async () => {
    for (const version of ['v2', 'v3', 'v4']) {
      cluster.writeHandler(handlerVersion(version));
      const r = await cluster.cli(['reload']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/reloaded 2 workers/);
      // Anything sent from now on is handled by the new code.
      const marks = clients.map((c) => c.sent);
      await sentMore(marks, 3);
      await allAnswered(10_000);
      clients.forEach((c, i) => {
        for (let s = marks[i] as number; s < c.sent; s++) if (c.answered.has(s)) expect(c.versions.get(s)).toBe(version);
      });
    }
    await allAnswered(10_000);
    expect(clients.filter((c) => c.closed)).toHaveLength(0);
    expect(clients.flatMap((c) => c.missing())).toEqual([]);
    expect(clients.reduce((n, c) => n + c.duplicates, 0)).toBe(0);
    expect(clients.reduce((n, c) => n + c.outOfOrder, 0)).toBe(0);
    expect(clients.reduce((n, c) => n + c.wrongUid, 0)).toBe(0);
    expect(clients.reduce((n, c) => n + c.sent, 0)).toBeGreaterThan(CLIENTS * 20);
  }, 120_000);

  it('a worker killed with SIGKILL: no disconnect, nothing lost (duplicates allowed and counted), a replacement starts', async () => {
    const status = JSON.parse((await cluster.cli(['status', '--json'])).stdout) as { workers: { pid: number }[] };
    const victim = status.workers[0]?.pid;
    expect(victim).toBeTypeOf('number');
    const before = clients.reduce((n, c) => n + c.duplicates, 0);
    process.kill(victim as number, 'SIGKILL');
    await cluster.waitForLog((l) => typeof l.msg === 'string' && l.msg.includes('restarted'), 20_000);
    await sentMore(
      clients.map((c) => c.sent),
      5,
    );
    await allAnswered(15_000);
    expect(clients.filter((c) => c.closed)).toHaveLength(0);
    expect(clients.flatMap((c) => c.missing())).toEqual([]);
    const duplicates = clients.reduce((n, c) => n + c.duplicates, 0) - before;
    console.log(`duplicates after SIGKILL of a worker: ${duplicates}`);
    const after = JSON.parse((await cluster.cli(['status', '--json'])).stdout) as { workers: { pid: number; state: string }[] };
    expect(after.workers.filter((w) => w.state === 'ready')).toHaveLength(2);
    expect(after.workers.map((w) => w.pid)).not.toContain(victim);
  }, 60_000);

  it('a reload whose handler does not load fails clearly and leaves the old workers serving', async () => {
    cluster.writeHandler('export default {{ this is not javascript');
    const r = await cluster.cli(['reload']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/reload failed/);
    const marks = clients.map((c) => c.sent);
    await sentMore(marks, 3);
    await allAnswered(10_000);
    expect(clients.filter((c) => c.closed)).toHaveLength(0);
    expect(clients.flatMap((c) => c.missing())).toEqual([]);
    clients.forEach((c, i) => {
      for (let s = marks[i] as number; s < c.sent; s++) expect(c.versions.get(s)).toBe('v4');
    });
  }, 60_000);
});
