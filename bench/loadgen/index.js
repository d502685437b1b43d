// The load-generator coordinator: forks client processes (loadgen/client.js), spreads
// connections over them (≤ 18,000 sockets each) and over source addresses 127.0.0.1–127.0.0.9,
// and merges what they report.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Histogram } from '../lib/hist.js';
import { track, untrack } from '../lib/procs.js';

const CLIENT = fileURLToPath(new URL('./client.js', import.meta.url));
export const MAX_PER_PROCESS = 18_000;
export const SOURCES = Array.from({ length: 9 }, (_, i) => `127.0.0.${i + 1}`);
/** The kernel's ephemeral range here (net.ipv4.ip_local_port_range); each process gets a slice. */
const PORT_LO = 32_768;
const PORT_HI = 61_000;

class Child {
  constructor(proc) {
    this.proc = proc;
    this.pid = proc.pid;
    this.nextId = 1;
    this.pending = new Map();
    this.held = 0;
    this.listeners = new Set();
    proc.on('message', (m) => {
      if (m.ev !== undefined) {
        for (const l of this.listeners) l(m);
        return;
      }
      const p = this.pending.get(m.id);
      if (p === undefined) return;
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`loadgen ${this.pid}: ${m.error}`));
    });
    proc.on('exit', (code, signal) => {
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error(`loadgen ${this.pid} exited (${code ?? signal})`));
      }
      this.pending.clear();
    });
  }

  call(cmd, args = {}, timeoutMs = 120_000) {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`loadgen ${this.pid}: '${cmd}' timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      if (!this.proc.connected) {
        this.pending.delete(id);
        clearTimeout(timer);
        reject(new Error(`loadgen ${this.pid} is gone`));
        return;
      }
      this.proc.send({ id, cmd, args });
    });
  }
}

export class LoadGen {
  /** @param {{processes?: number, execArgv?: string[]}} opts */
  static async start({ processes = 1, execArgv = [] } = {}) {
    const lg = new LoadGen();
    await Promise.all(
      Array.from({ length: processes }, async () => {
        const proc = fork(CLIENT, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--max-old-space-size=4096', ...execArgv] });
        track(proc.pid, 'loadgen');
        proc.once('exit', () => untrack(proc.pid));
        const child = new Child(proc);
        await new Promise((resolve, reject) => {
          const t = setTimeout(() => reject(new Error('loadgen client did not start within 10 s')), 10_000);
          child.listeners.add(function ready(m) {
            if (m.ev === 'ready') {
              clearTimeout(t);
              child.listeners.delete(ready);
              resolve();
            }
          });
          proc.once('exit', () => reject(new Error('loadgen client exited at start')));
        });
        lg.children.push(child);
      }),
    );
    return lg;
  }

  constructor() {
    this.children = [];
    this.nextIndex = 0;
  }

  portSlice(child) {
    const k = this.children.indexOf(child);
    const width = Math.floor((PORT_HI - PORT_LO) / this.children.length);
    return [PORT_LO + k * width, PORT_LO + (k + 1) * width];
  }

  get pids() {
    return this.children.map((c) => c.pid);
  }

  /**
   * Opens `count` connections to `url` (a string, or an array of urls used round-robin per
   * process), spread over the processes with the fewest sockets. `hello` is a text sent after
   * open whose first reply completes the connection ('{i}' = the connection's global index).
   */
  async connect({ count, url, kind = 'ws', hello = null, concurrency = 200, timeoutMs = 15_000, onto = null }) {
    const targets = onto ?? this.children;
    const free = targets.reduce((n, c) => n + (MAX_PER_PROCESS - c.held), 0);
    if (count > free) throw new Error(`${count} connections need more loadgen processes (room for ${free})`);
    // even split, bounded by what each process can still hold
    const plan = targets.map(() => 0);
    let left = count;
    while (left > 0) {
      let progressed = false;
      for (let k = 0; k < targets.length && left > 0; k++) {
        const room = MAX_PER_PROCESS - targets[k].held - plan[k];
        if (room <= 0) continue;
        const share = Math.min(room, Math.ceil(left / (targets.length - k)), left);
        plan[k] += share;
        left -= share;
        progressed = true;
      }
      if (!progressed) break;
    }
    const started = Date.now();
    const urls = Array.isArray(url) ? url : [url];
    const results = await Promise.all(
      targets.map((c, k) => {
        if (plan[k] === 0) return { connected: 0, failed: 0, failures: {}, ms: 0 };
        const base = this.nextIndex;
        this.nextIndex += plan[k];
        const u = urls[k % urls.length];
        return c
          .call(
            'connect',
            { count: plan[k], url: u, kind, base, sources: SOURCES, concurrency, hello, timeoutMs, ports: this.portSlice(c) },
            timeoutMs + count * 20 + 60_000,
          )
          .then((r) => {
            c.held = r.held;
            return r;
          });
      }),
    );
    const failures = {};
    for (const r of results) for (const [k, v] of Object.entries(r.failures)) failures[k] = (failures[k] ?? 0) + v;
    const connected = results.reduce((n, r) => n + r.connected, 0);
    return { connected, failed: count - connected, failures, ms: Date.now() - started, perProcess: results.map((r) => r.connected) };
  }

  async echo({ durationMs, inflight = 1, size = 32, warmupMs = 0 }) {
    const results = await Promise.all(
      this.children.map((c) => c.call('echo', { durationMs, inflight, size, warmupMs }, durationMs + warmupMs + 30_000)),
    );
    const hist = new Histogram();
    let count = 0;
    let unanswered = 0;
    let conns = 0;
    for (const r of results) {
      hist.merge(r.hist);
      count += r.count;
      unanswered += r.unanswered;
      conns += r.conns;
    }
    return { conns, count, rtps: Math.round(count / (durationMs / 1000)), latencyMs: hist.summaryMs(), unanswered };
  }

  async ingest({ durationMs, rate = 0, size = 32 }) {
    const per = rate > 0 ? rate / this.children.length : 0;
    const results = await Promise.all(this.children.map((c) => c.call('ingest', { durationMs, rate: per, size }, durationMs + 30_000)));
    const sent = results.reduce((n, r) => n + r.sent, 0);
    const ms = Math.max(...results.map((r) => r.ms));
    return { sent, ms, sendRate: Math.round(sent / (ms / 1000)) };
  }

  /** Starts counting deliveries; `onDone(id, {first, last, n})` fires per process per id. */
  async receive(onDone) {
    const listeners = [];
    for (const c of this.children) {
      const l = (m) => {
        if (m.ev === 'done') onDone(m.id, m, c);
      };
      c.listeners.add(l);
      listeners.push([c, l]);
    }
    const r = await Promise.all(this.children.map((c) => c.call('receive', {})));
    return {
      expect: r.map((x) => x.expect),
      stop: async () => {
        for (const [c, l] of listeners) c.listeners.delete(l);
        return Promise.all(this.children.map((c) => c.call('receive-stop', {})));
      },
    };
  }

  async seqStart({ ratePerConn, phase = 'steady' }) {
    return Promise.all(this.children.map((c) => c.call('seq', { ratePerConn, phase })));
  }

  async phase(name) {
    return Promise.all(this.children.map((c) => c.call('phase', { name })));
  }

  async seqStop({ drainMs = 5_000 } = {}) {
    const results = await Promise.all(this.children.map((c) => c.call('seq-stop', { drainMs }, drainMs + 30_000)));
    const out = { sent: 0, answered: 0, unanswered: 0, dups: 0, bad: 0, outOfOrder: 0, disconnects: 0, versions: {}, lostByPhase: {}, hists: {} };
    for (const r of results) {
      for (const k of ['sent', 'answered', 'unanswered', 'dups', 'bad', 'outOfOrder', 'disconnects']) out[k] += r[k];
      for (const [v, n] of Object.entries(r.versions)) out.versions[v] = (out.versions[v] ?? 0) + n;
      for (const [p, n] of Object.entries(r.lostByPhase)) out.lostByPhase[p] = (out.lostByPhase[p] ?? 0) + n;
      for (const [p, h] of Object.entries(r.hists)) (out.hists[p] ??= new Histogram()).merge(h);
    }
    return out;
  }

  async pingAll({ timeoutMs = 15_000 } = {}) {
    const started = Date.now();
    const r = await Promise.all(this.children.map((c) => c.call('ping-all', { timeoutMs }, timeoutMs + 30_000)));
    return { pinged: sum(r, 'pinged'), alive: sum(r, 'alive'), dead: sum(r, 'dead'), ms: Date.now() - started };
  }

  async stats() {
    const r = await Promise.all(this.children.map((c) => c.call('stats', {})));
    return { held: sum(r, 'held'), disconnects: sum(r, 'disconnects'), errors: sum(r, 'errors'), rssMax: Math.max(...r.map((x) => x.rss)) };
  }

  async close() {
    const r = await Promise.all(this.children.map((c) => c.call('close', {}).catch(() => ({ closed: 0 }))));
    for (const c of this.children) c.held = 0;
    return { closed: sum(r, 'closed') };
  }

  async stop() {
    await Promise.all(
      this.children.map(async (c) => {
        const exited = new Promise((r) => {
          if (c.proc.exitCode !== null || c.proc.signalCode !== null) r();
          else c.proc.once('exit', r);
        });
        c.call('exit', {}, 10_000).catch(() => {});
        const t = setTimeout(() => c.proc.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }),
    );
    this.children = [];
  }
}

function sum(rs, k) {
  return rs.reduce((n, r) => n + (r[k] ?? 0), 0);
}
