import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { NetHost } from './net.js';
import { eachLine } from '../helpers/log-follower.js';

/**
 * Drives the load generator (fixtures/load-client.mjs) on the client host and turns its counts
 * into the scenario's figures. The generator runs in the client's namespace, so it reaches the
 * gateways over the bridge like any remote client.
 */

const LOAD_CLIENT = resolve(import.meta.dirname, 'fixtures/load-client.mjs');

export interface Figures {
  clients: number;
  /** Messages the clients sent. */
  sent: number;
  /** Distinct echo replies received. */
  answered: number;
  lostReplies: number;
  /** Echo replies received more than once (a redelivered event). */
  dupReplies: number;
  /** Echo replies that arrived after a later one (first arrivals only). */
  reordered: number;
  uidSent: number;
  uidLost: number;
  uidDup: number;
  directSent: number;
  directLost: number;
  directDup: number;
  groupExpected: number;
  groupLost: number;
  groupDup: number;
  crossReordered: number;
  disconnects: number;
  misdelivered: number;
  /** Echo round trip, ms. */
  p50: number;
  p99: number;
  max: number;
}

type Event = { ev: string; [key: string]: unknown };

export class LoadClient {
  private readonly events: Event[] = [];
  private readonly waiters: { ev: string; resolve: (e: Event) => void; reject: (err: Error) => void }[] = [];
  private stderr = '';
  private exited = false;

  private constructor(private readonly child: ChildProcess) {
    eachLine(child.stdout!, (text) => {
      const e = JSON.parse(text) as Event;
      const i = this.waiters.findIndex((w) => w.ev === e.ev || e.ev === 'error');
      if (i >= 0) {
        const [w] = this.waiters.splice(i, 1);
        if (e.ev === 'error') w!.reject(new Error(`load client: ${String(e.error)}`));
        else w!.resolve(e);
      } else this.events.push(e);
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => (this.stderr = (this.stderr + chunk).slice(-4_000)));
    child.once('exit', (code) => {
      this.exited = true;
      for (const w of this.waiters.splice(0)) w.reject(new Error(`load client exited (${code}); stderr: ${this.stderr}`));
    });
  }

  static async start(host: NetHost): Promise<LoadClient> {
    const child = spawn('ip', ['netns', 'exec', host.ns, process.execPath, LOAD_CLIENT], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const lc = new LoadClient(child);
    await lc.expect('ready', 15_000);
    return lc;
  }

  private expect(ev: string, timeoutMs: number): Promise<Event> {
    const i = this.events.findIndex((e) => e.ev === ev);
    if (i >= 0) return Promise.resolve(this.events.splice(i, 1)[0]!);
    if (this.exited) return Promise.reject(new Error(`load client exited; stderr: ${this.stderr}`));
    return new Promise((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`load client: no '${ev}' within ${timeoutMs} ms; stderr: ${this.stderr}`)), timeoutMs);
      this.waiters.push({ ev, resolve: (e) => (clearTimeout(timer), res(e)), reject: (err) => (clearTimeout(timer), rej(err)) });
    });
  }

  private async call(cmd: Record<string, unknown>, ev: string, timeoutMs = 30_000): Promise<Event> {
    const reply = this.expect(ev, timeoutMs);
    this.child.stdin!.write(JSON.stringify(cmd) + '\n');
    return reply;
  }

  /** Connects `clients` ws clients, spread over `urls`, each bound to a uid and a group. */
  async connect(urls: readonly string[], clients: number): Promise<string[]> {
    const e = await this.call({ cmd: 'connect', urls, clients }, 'connected', 45_000);
    return e.ids as string[];
  }

  async startSending(rate: number, groupEvery: number): Promise<void> {
    await this.call({ cmd: 'start', rate, groupEvery }, 'started');
  }

  async stopSending(): Promise<void> {
    await this.call({ cmd: 'stop' }, 'stopped');
  }

  async report(): Promise<Figures> {
    return (await this.call({ cmd: 'report' }, 'report')).figures as Figures;
  }

  /**
   * After the senders stopped: polls the figures until nothing is missing, or until they stop
   * changing for `quietMs` (what is still missing then is lost), at most `maxMs`.
   */
  async settle(quietMs: number, maxMs: number): Promise<Figures> {
    const deadline = performance.now() + maxMs;
    let last = await this.report();
    let lastChange = performance.now();
    for (;;) {
      if (missing(last) === 0) return last;
      if (performance.now() - lastChange >= quietMs || performance.now() >= deadline) return last;
      await new Promise((r) => setTimeout(r, 250));
      const next = await this.report();
      if (JSON.stringify(next) !== JSON.stringify(last)) lastChange = performance.now();
      last = next;
    }
  }

  async close(): Promise<void> {
    if (this.exited) return;
    try {
      await this.call({ cmd: 'close' }, 'closed', 5_000);
    } catch {
      // it is killed below anyway
    }
    this.destroy();
  }

  destroy(): void {
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** Deliveries still missing: replies, cross-gateway sends, group deliveries. */
export function missing(f: Figures): number {
  return f.lostReplies + f.uidLost + f.directLost + f.groupLost;
}

/** One line of figures, the same fields for every scenario. */
export function figuresLine(name: string, f: Figures, extra: Record<string, string | number> = {}): string {
  const more = Object.entries(extra)
    .map(([k, v]) => ` ${k}=${v}`)
    .join('');
  return (
    `[multihost] ${name}: clients=${f.clients} sent=${f.sent} answered=${f.answered} lostReplies=${f.lostReplies} dupReplies=${f.dupReplies} reordered=${f.reordered}` +
    ` | uid lost=${f.uidLost}/${f.uidSent} dup=${f.uidDup} | direct lost=${f.directLost}/${f.directSent} dup=${f.directDup}` +
    ` | group lost=${f.groupLost}/${f.groupExpected} dup=${f.groupDup} | crossReordered=${f.crossReordered} disconnects=${f.disconnects} misdelivered=${f.misdelivered}` +
    ` | rtt p50=${f.p50} p99=${f.p99} max=${f.max} ms${more}`
  );
}

/** Prints the line and, when GW_MULTIHOST_REPORT names a file, appends it there as JSON too. */
export function publish(name: string, f: Figures, extra: Record<string, string | number> = {}): void {
  const line = figuresLine(name, f, extra);
  console.log(line);
  const file = process.env.GW_MULTIHOST_REPORT;
  if (file) appendFileSync(file, JSON.stringify({ scenario: name, at: new Date().toISOString(), ...f, ...extra }) + '\n');
}
