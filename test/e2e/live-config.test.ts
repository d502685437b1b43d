import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EtcdCentre } from '@gateworker/centre';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startCluster, type Cluster, type LogLine } from '../helpers/cluster.js';
import { startEtcd, type EtcdServer } from '../helpers/etcd.js';

/**
 * The config centre end to end (issue 14): a cluster started through the CLI on a real etcd, a
 * handler that replies with `worker.config.greeting`, clients sending steadily the whole time.
 * Every live change must reach every worker within a second with 0 lost replies and 0
 * disconnects; an invalid document and a restart-only key change nothing; the centre going away
 * keeps the last good configuration and a change made after it returns is applied.
 */

const CLIENTS = Number(process.env['GW_LIVE_CONFIG_CLIENTS'] ?? 200);
const RATE_PER_CLIENT = 20; // messages per second
const KEY = '/gateworker/e2e/config';

const HANDLER = `
let worker;
export default {
  onWorkerStart(w) { worker = w; },
  onMessage(client, message) { client.send(worker.config.greeting + '|' + message); },
  onConfigChange(w, { changed, previous, current }) {
    w.logger.info({ changed, from: previous.greeting, to: current.greeting }, 'handler saw a config change');
  },
};
`;

/** One client sending numbered messages at a steady rate; replies record which greeting answered. */
class Sender {
  sent = 0;
  readonly replies = new Map<number, { greeting: string; at: number }>();
  duplicates = 0;
  closed = false;
  private timer: NodeJS.Timeout | null = null;
  /** Send time of each message, by number. */
  readonly sentAt: number[] = [];

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const [greeting, n] = data.toString().split('|') as [string, string];
      const num = Number(n);
      if (this.replies.has(num)) this.duplicates++;
      else this.replies.set(num, { greeting, at: performance.now() });
    });
    ws.on('close', () => (this.closed = true));
    ws.on('error', () => {});
  }

  static async open(url: string): Promise<Sender> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new Sender(ws);
  }

  start(): void {
    this.timer = setInterval(() => {
      if (this.ws.readyState !== WebSocket.OPEN) return;
      this.sentAt.push(performance.now());
      this.ws.send(String(this.sent++));
    }, 1000 / RATE_PER_CLIENT);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
  }

  close(): void {
    this.ws.terminate();
  }

  /** Greetings of the replies to messages sent at or after `since` (performance.now()). */
  greetingsSince(since: number): Set<string> {
    const out = new Set<string>();
    this.sentAt.forEach((t, n) => {
      const r = this.replies.get(n);
      if (t >= since && r !== undefined) out.add(r.greeting);
    });
    return out;
  }
}

let etcd: EtcdServer;
let cluster: Cluster;
let writer: EtcdCentre;
let senders: Sender[] = [];

beforeAll(async () => {
  etcd = await startEtcd();
  writer = new EtcdCentre({ endpoints: [etcd.endpoint], key: KEY });
  await writer.write('app:\n  greeting: centre-v1\n');
  cluster = await startCluster({
    handler: HANDLER,
    workers: 2,
    sections: { config: { etcd: { endpoints: [etcd.endpoint], key: KEY } }, app: { greeting: 'file' } },
  });
  senders = await Promise.all(Array.from({ length: CLIENTS }, () => Sender.open(cluster.wsUrl)));
  for (const s of senders) s.start();
}, 120_000);

afterAll(async () => {
  for (const s of senders) {
    s.stop();
    s.close();
  }
  await cluster?.stop();
  await writer?.close();
  await etcd?.stop();
}, 60_000);

/** Resolves once every client has a reply to something it sent after `since`, all with `greeting`. */
async function allAnswerWith(greeting: string, since: number, timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const pending = senders.filter((s) => {
      const g = s.greetingsSince(since);
      return g.size !== 1 || !g.has(greeting);
    });
    if (pending.length === 0) return;
    if (performance.now() > deadline) {
      const sample = [...(pending[0]?.greetingsSince(since) ?? [])];
      throw new Error(`${pending.length} clients not answered only with "${greeting}" since the mark (one saw ${JSON.stringify(sample)})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

const waitLog = (match: (l: LogLine) => boolean, timeoutMs = 15_000) => cluster.waitForLog(match, timeoutMs);
const logsNow = () => cluster.logs.length;
const seenAfter = (mark: number, match: (l: LogLine) => boolean) => cluster.logs.slice(mark).some(match);

describe('live configuration from a config centre (real etcd, cluster through the CLI, under load)', () => {
  it('starts on the centre document: the centre wins over the file', async () => {
    await allAnswerWith('centre-v1', performance.now());
  });

  it('a pushed document reaches every worker within a second, onConfigChange once per worker', async () => {
    const doc = join(cluster.dir, 'v2.yaml');
    writeFileSync(doc, 'app:\n  greeting: centre-v2\n');
    const mark = logsNow();
    const pushed = await cluster.cli(['config', 'push', doc]);
    expect(pushed.code).toBe(0);
    const at = performance.now();
    // Replies to what was sent a second after the push carry the new value.
    await allAnswerWith('centre-v2', at + 1_000);
    await waitLog((l) => l.msg === 'handler saw a config change' && l['to'] === 'centre-v2');
    const handlerLines = cluster.logs.slice(mark).filter((l) => l.msg === 'handler saw a config change');
    expect(handlerLines).toHaveLength(2); // two workers, once each
  });

  it('an invalid document is refused whole: logged with the key and line, counted in status, replies unchanged', async () => {
    const mark = logsNow();
    await writer.write('app:\n  greeting: never\ngateway:\n  routing: sideways\n'); // written past `config push`'s check
    const refused = await waitLog((l) => typeof l.msg === 'string' && l.msg.startsWith('config change refused'));
    expect(refused.msg).toContain('gateway.routing');
    expect(refused.msg).toContain(`${KEY}:4:12`);
    await allAnswerWith('centre-v2', performance.now());
    expect(seenAfter(mark, (l) => l.msg === 'handler saw a config change')).toBe(false);
    const status = await cluster.cli(['status', '--json']);
    expect(status.code).toBe(0);
    const tree = JSON.parse(status.stdout) as { processes: { configCentre?: { refused: number; lastRefusal: { key: string } | null } }[] };
    const centre = tree.processes.find((p) => p.configCentre !== undefined)?.configCentre;
    expect(centre?.refused).toBe(1);
    expect(centre?.lastRefusal?.key).toBe('gateway.routing');
  });

  it('a key that needs a restart is named in a warning and not applied; the rest of the document is', async () => {
    const mark = logsNow();
    await writer.write(`app:\n  greeting: centre-v3\nregister:\n  listen: 127.0.0.1:1\n`);
    const warned = await waitLog((l) => typeof l.msg === 'string' && l.msg.startsWith('config change needs a restart'));
    expect(warned.msg).toContain('register.listen');
    await allAnswerWith('centre-v3', performance.now() + 1_000);
    // The register still runs where it did: status (through the supervisor) answers, the cluster serves.
    expect(seenAfter(mark, (l) => l.role === 'register' && l.msg === 'stopping')).toBe(false);
  });

  it('worker.processes 2 → 4 → 1 in the centre: the worker count follows through the reload roll', async () => {
    const workers = async (): Promise<number> => {
      const status = await cluster.cli(['status', '--json']);
      const tree = JSON.parse(status.stdout) as { processes: { role: string }[] };
      return tree.processes.filter((p) => p.role === 'worker').length;
    };
    for (const count of [4, 1]) {
      const mark = logsNow();
      await writer.write(`app:\n  greeting: centre-v3\nworker:\n  processes: ${count}\n`);
      await cluster.waitForLog(
        (l) => cluster.logs.indexOf(l) >= mark && typeof l.msg === 'string' && l.msg.startsWith('live change rolled the workers'),
        90_000,
      );
      expect(await workers()).toBe(count);
      await allAnswerWith('centre-v3', performance.now());
    }
  }, 200_000);

  it('the centre killed and back: the last good configuration stays, a change after its return applies', async () => {
    await etcd.kill();
    await waitLog((l) => l.msg === 'config centre unreachable: keeping the last good configuration', 20_000);
    await allAnswerWith('centre-v3', performance.now());
    await etcd.restart();
    const mark = logsNow();
    const back = performance.now();
    await writer.write('app:\n  greeting: centre-v4\n');
    // The watch resumes from the last revision it saw (etcd3 reconnects with backoff), then applies it.
    await cluster.waitForLog(
      (l) => cluster.logs.indexOf(l) >= mark && typeof l.msg === 'string' && l.msg.startsWith('config change applied'),
      30_000,
    );
    process.stdout.write(
      `[live-config] change written after the centre returned was applied ${Math.round(performance.now() - back)} ms after the restart\n`,
    );
    await allAnswerWith('centre-v4', performance.now() + 1_000);
  }, 90_000);

  it('lost nothing and disconnected nobody throughout', async () => {
    for (const s of senders) s.stop();
    const deadline = performance.now() + 10_000;
    while (senders.some((s) => s.replies.size < s.sent) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const sent = senders.reduce((n, s) => n + s.sent, 0);
    const answered = senders.reduce((n, s) => n + s.replies.size, 0);
    const duplicates = senders.reduce((n, s) => n + s.duplicates, 0);
    const disconnects = senders.filter((s) => s.closed).length;
    process.stdout.write(
      `[live-config] clients ${CLIENTS} x ${RATE_PER_CLIENT}/s: sent ${sent}, answered ${answered}, lost ${sent - answered}, duplicates ${duplicates}, disconnects ${disconnects}\n`,
    );
    expect(sent).toBeGreaterThan(CLIENTS * 20);
    expect(sent - answered).toBe(0);
    expect(duplicates).toBe(0);
    expect(disconnects).toBe(0);
  }, 30_000);
});
