// One load-generator client process (forked by loadgen/index.js). It holds up to ~18,000
// connections (this machine allows 20,000 open files per process) and obeys commands over IPC:
//   connect  {count, url, kind, base, sources, concurrency, hello, timeoutMs}
//   echo     {durationMs, inflight, size}          round trips with latency histogram
//   ingest   {durationMs, rate, size}              one-way messages (rate 0 = as fast as flow control allows)
//   receive  {expect}                              count deliveries per broadcast id, report 'done' events
//   seq      {ratePerConn}  / seq-stop {drainMs}   sequence-numbered requests (reload-under-load)
//   phase    {name}                                switch the latency histogram (seq mode)
//   ping-all {timeoutMs}                           ws ping/pong (tcp: an echoed line) on every connection
//   stats    {}                                    counts, disconnects, memory
//   close    {}                                    close every connection
//   exit     {}
// Connection kinds: 'ws' (the `ws` package client), 'wsl' (a light hand-rolled WebSocket client
// over net: handshake, zero-mask frames, minimal parser; cheap enough that a receiving process is
// not the bottleneck of a fan-out measurement), 'tcp' (net, '\n'-framed lines).
// Every message handler gets a Buffer (a view; do not keep it).
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { Histogram } from '../lib/hist.js';

const MAX_SOCKETS = 18_000;
const origin = performance.timeOrigin;
const now = () => origin + performance.now(); // wall-clock ms, comparable across processes

const conns = [];
let mode = 'idle';
let disconnects = 0;
let errors = 0;

// ---------------------------------------------------------------------------------------------
// Connections

class Conn {
  constructor(kind, index) {
    this.kind = kind;
    this.i = index; // global index across the loadgen
    this.s = null; // net.Socket (tcp, wsl)
    this.ws = null; // WebSocket (ws)
    this.open = false;
    this.closed = false;
    this.rest = null; // leftover bytes (tcp, wsl)
    this.up = false; // wsl: upgrade response seen
    this.q = null; // echo: FIFO of send times
    this.seq = 0;
    this.last = -1;
    this.pong = false;
    this.waiter = null; // first-message waiter (hello)
  }

  sendText(str) {
    if (this.closed) return;
    if (this.kind === 'ws') this.ws.send(str);
    else if (this.kind === 'tcp') this.s.write(str + '\n');
    else this.s.write(wslFrame(Buffer.from(str), 0x1));
  }

  sendFrame(prebuilt) {
    // prebuilt: {ws: string|Buffer, wsl: Buffer, tcp: string}
    if (this.closed) return;
    if (this.kind === 'ws') this.ws.send(prebuilt.ws);
    else if (this.kind === 'tcp') this.s.write(prebuilt.tcp);
    else this.s.write(prebuilt.wsl);
  }

  buffered() {
    if (this.kind === 'ws') return this.ws.bufferedAmount;
    return this.s.writableLength;
  }

  ping() {
    if (this.closed) return;
    if (this.kind === 'ws') this.ws.ping();
    else if (this.kind === 'tcp') this.s.write('ping\n');
    else this.s.write(WSL_PING);
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    if (this.kind === 'ws') this.ws.terminate();
    else this.s.destroy();
  }
}

const WSL_PING = Buffer.from([0x89, 0x80, 0, 0, 0, 0]);
const WSL_PONG = Buffer.from([0x8a, 0x80, 0, 0, 0, 0]);

/** A client frame with an all-zero mask (valid: the payload goes out unchanged). */
function wslFrame(payload, opcode) {
  const len = payload.length;
  const head = len < 126 ? 6 : len < 65536 ? 8 : 14;
  const buf = Buffer.allocUnsafe(head + len);
  buf[0] = 0x80 | opcode;
  if (len < 126) buf[1] = 0x80 | len;
  else if (len < 65536) {
    buf[1] = 0x80 | 126;
    buf.writeUInt16BE(len, 2);
  } else {
    buf[1] = 0x80 | 127;
    buf.writeUInt32BE(0, 2);
    buf.writeUInt32BE(len, 6);
  }
  buf.writeUInt32BE(0, head - 4);
  payload.copy(buf, head);
  return buf;
}

function onMessage(c, buf) {
  if (c.waiter !== null) {
    const w = c.waiter;
    c.waiter = null;
    w(buf);
    return;
  }
  switch (mode) {
    case 'echo':
      echoReply(c);
      break;
    case 'receive':
      delivery(buf);
      break;
    case 'seq':
      seqReply(c, buf);
      break;
    case 'ping':
      if (c.kind === 'tcp') c.pong = true;
      break;
    default:
      break;
  }
}

function onClosed(c) {
  if (!c.closed) {
    c.closed = true;
    if (c.open) disconnects++;
  }
}

// Line framing for tcp.
function tcpData(c, chunk) {
  let start = 0;
  let buf = chunk;
  if (c.rest !== null) {
    buf = Buffer.concat([c.rest, chunk]);
    c.rest = null;
  }
  for (;;) {
    const nl = buf.indexOf(10, start);
    if (nl < 0) break;
    onMessage(c, buf.subarray(start, nl));
    start = nl + 1;
  }
  if (start < buf.length) c.rest = buf.subarray(start);
}

// Minimal WebSocket client frame parser (server frames are never masked).
function wslData(c, chunk) {
  let buf = chunk;
  if (c.rest !== null) {
    buf = Buffer.concat([c.rest, chunk]);
    c.rest = null;
  }
  let off = 0;
  if (!c.up) {
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) {
      if (buf.length > 8192) c.s.destroy(new Error('upgrade response too long'));
      else c.rest = buf;
      return;
    }
    if (buf.toString('latin1', 0, 12) !== 'HTTP/1.1 101') {
      c.s.destroy(new Error(`upgrade refused: ${buf.toString('latin1', 0, Math.min(end, 80))}`));
      return;
    }
    c.up = true;
    off = end + 4;
    c.s.emit('wsl-open');
  }
  const n = buf.length;
  while (n - off >= 2) {
    const b0 = buf[off];
    let len = buf[off + 1] & 0x7f;
    let head = 2;
    if (len === 126) {
      if (n - off < 4) break;
      len = buf.readUInt16BE(off + 2);
      head = 4;
    } else if (len === 127) {
      if (n - off < 10) break;
      len = buf.readUInt32BE(off + 2) * 2 ** 32 + buf.readUInt32BE(off + 6);
      head = 10;
    }
    if (n - off < head + len) break;
    const op = b0 & 0x0f;
    const payload = buf.subarray(off + head, off + head + len);
    off += head + len;
    if (op === 1 || op === 2 || op === 0) onMessage(c, payload);
    else if (op === 0xa) c.pong = true;
    else if (op === 0x9) c.s.write(WSL_PONG);
    else if (op === 0x8) {
      c.s.end();
      return;
    }
  }
  if (off < n) c.rest = off === 0 ? buf : buf.subarray(off);
}

// Explicit source ports: bind(addr, 0) makes the kernel search for a free port, which gets very
// slow (seconds of CPU per thousand connects) once tens of thousands of ports are in use or in
// TIME_WAIT. Each process owns a slice of the ephemeral range on every source address and walks
// it from a random start; a port that is taken (EADDRINUSE) is skipped.
let portSlice = null; // [lo, hi)
const cursors = new Map();
function nextPort(source) {
  if (portSlice === null) return undefined;
  const [lo, hi] = portSlice;
  let p = cursors.get(source) ?? lo + Math.floor(Math.random() * (hi - lo));
  if (p >= hi) p = lo;
  cursors.set(source, p + 1);
  return p;
}

function openOne(kind, url, index, source, hello, timeoutMs) {
  const c = new Conn(kind, index);
  return new Promise((resolve) => {
    let settled = false;
    const timer = setTimeout(() => fail(new Error('connect timeout')), timeoutMs);
    function fail(err) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      c.closed = true;
      try {
        c.ws?.terminate();
        c.s?.destroy();
      } catch {}
      resolve({ ok: false, error: err?.code ?? err?.message ?? String(err) });
    }
    function opened() {
      if (settled) return;
      c.open = true;
      if (hello === null) {
        settled = true;
        clearTimeout(timer);
        conns.push(c);
        resolve({ ok: true });
        return;
      }
      // hello: send one message and wait for the first reply (e.g. bind uid + join group, 'ok').
      c.waiter = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        conns.push(c);
        resolve({ ok: true });
      };
      c.sendText(hello.replace('{i}', String(index)));
    }
    const u = new URL(url);
    if (kind === 'ws') {
      const localPort = nextPort(source);
      const ws = new WebSocket(url, { localAddress: source, ...(localPort && { localPort }), perMessageDeflate: false, handshakeTimeout: timeoutMs });
      c.ws = ws;
      ws.binaryType = 'nodebuffer';
      ws.on('open', opened);
      ws.on('message', (data) => onMessage(c, data));
      ws.on('pong', () => (c.pong = true));
      ws.on('error', (err) => {
        if (!c.open) fail(err);
        else errors++;
      });
      ws.on('close', () => {
        if (!c.open) fail(new Error('closed before open'));
        else onClosed(c);
      });
    } else {
      const localPort = nextPort(source);
      const s = net.connect({ host: u.hostname, port: Number(u.port), localAddress: source, ...(localPort && { localPort }) });
      c.s = s;
      s.setNoDelay(true);
      s.on('error', (err) => {
        if (!c.open) fail(err);
        else errors++;
      });
      s.on('close', () => {
        if (!c.open) fail(new Error('closed before open'));
        else onClosed(c);
      });
      if (kind === 'tcp') {
        s.on('connect', opened);
        s.on('data', (chunk) => tcpData(c, chunk));
      } else {
        const path = (u.pathname || '/') + (u.search || '');
        s.on('connect', () =>
          s.write(
            `GET ${path} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
              `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
          ),
        );
        s.once('wsl-open', opened);
        s.on('data', (chunk) => wslData(c, chunk));
      }
    }
  });
}

async function connect({ count, url, kind, base = 0, sources, concurrency = 200, hello = null, timeoutMs = 15_000, ports = null }) {
  portSlice = ports;
  if (conns.length + count > MAX_SOCKETS) throw new Error(`refusing to hold more than ${MAX_SOCKETS} sockets in one process`);
  const started = now();
  let next = 0;
  let ok = 0;
  const failures = {};
  async function lane() {
    while (next < count) {
      const k = next++;
      const index = base + k;
      let r;
      for (let attempt = 0; attempt < 20; attempt++) {
        r = await openOne(kind, url, index, sources[index % sources.length], hello, timeoutMs);
        if (r.ok || r.error !== 'EADDRINUSE' || portSlice === null) break;
      }
      if (r.ok) ok++;
      else failures[r.error] = (failures[r.error] ?? 0) + 1;
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, lane));
  return { connected: ok, failed: count - ok, failures, ms: now() - started, held: live() };
}

function live() {
  let n = 0;
  for (const c of conns) if (!c.closed) n++;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Echo: `inflight` outstanding messages per connection, FIFO send times, latency histogram.

let echo = null;

function prebuild(payloadStr) {
  const b = Buffer.from(payloadStr);
  return { ws: payloadStr, wsl: wslFrame(b, 0x1), tcp: payloadStr + '\n' };
}

function echoReply(c) {
  const e = echo;
  if (e === null || c.q === null || c.q.length === 0) return;
  const t = now();
  const sent = c.q.shift();
  if (t <= e.end) {
    e.hist.record(Math.round((t - sent) * 1000));
    e.count++;
  } else e.late++;
  if (e.running) {
    c.q.push(now());
    c.sendFrame(e.frame);
  } else if (e.outstanding > 0) {
    e.outstanding--;
    if (e.outstanding === 0 && e.drained) e.drained();
  }
}

async function runEcho({ durationMs, inflight = 1, size = 32, warmupMs = 0 }) {
  const frame = prebuild('e'.repeat(Math.max(1, size)));
  const active = conns.filter((c) => !c.closed);
  mode = 'echo';
  const e = { frame, hist: new Histogram(), count: 0, late: 0, running: true, end: Infinity, outstanding: 0, drained: null };
  echo = e;
  for (const c of active) {
    c.q = [];
    for (let k = 0; k < inflight; k++) {
      c.q.push(now());
      c.sendFrame(frame);
    }
  }
  if (warmupMs > 0) {
    await sleep(warmupMs);
    e.hist = new Histogram();
    e.count = 0;
  }
  const start = now();
  e.end = start + durationMs;
  await sleep(durationMs);
  e.running = false;
  e.outstanding = active.reduce((n, c) => n + (c.closed ? 0 : c.q.length), 0);
  if (e.outstanding > 0) {
    await Promise.race([new Promise((r) => (e.drained = r)), sleep(5_000)]);
  }
  mode = 'idle';
  echo = null;
  const unanswered = active.reduce((n, c) => n + (c.closed ? 0 : c.q.length), 0);
  for (const c of active) c.q = null;
  return { count: e.count, ms: durationMs, hist: e.hist.toJSON(), unanswered, late: e.late, conns: active.length };
}

// ---------------------------------------------------------------------------------------------
// Ingest: one-way messages.

async function runIngest({ durationMs, rate = 0, size = 32, maxBuffered = 64 * 1024 }) {
  const frame = prebuild('I' + 'i'.repeat(Math.max(0, size - 1)));
  const active = conns.filter((c) => !c.closed);
  if (active.length === 0) return { sent: 0, ms: 0 };
  mode = 'ingest';
  const start = now();
  const end = start + durationMs;
  let sent = 0;
  let rr = 0;
  let skipped = 0;
  while (now() < end) {
    let budget;
    if (rate > 0) {
      budget = Math.floor(((now() - start) / 1000) * rate) - sent;
      if (budget <= 0) {
        await sleep(2);
        continue;
      }
      budget = Math.min(budget, 2_000);
    } else budget = 500;
    let tries = 0;
    while (budget > 0 && tries < active.length) {
      const c = active[rr];
      rr = (rr + 1) % active.length;
      if (c.closed || c.buffered() > maxBuffered) {
        tries++;
        skipped++;
        continue;
      }
      tries = 0;
      c.sendFrame(frame);
      sent++;
      budget--;
    }
    await new Promise((r) => setImmediate(r));
  }
  const ms = now() - start;
  mode = 'idle';
  return { sent, ms, skipped };
}

// ---------------------------------------------------------------------------------------------
// Receive: count deliveries per broadcast id ("B|<id>|..." payloads).

let recv = null;

function delivery(buf) {
  const r = recv;
  if (r === null) return;
  r.total++;
  // parse the id: bytes after "B|" up to the next '|'
  let id = 0;
  for (let k = 2; k < buf.length; k++) {
    const ch = buf[k];
    if (ch === 124) break;
    id = id * 10 + (ch - 48);
  }
  const t = now();
  let e = r.ids.get(id);
  if (e === undefined) {
    e = { n: 0, first: t, last: t };
    r.ids.set(id, e);
  }
  e.n++;
  e.last = t;
  if (e.n === r.expect) process.send({ ev: 'done', id, first: e.first, last: t, n: e.n });
}

function startReceive({ expect }) {
  mode = 'receive';
  recv = { expect: expect ?? live(), total: 0, ids: new Map() };
  return { expect: recv.expect };
}

function stopReceive() {
  const r = recv;
  recv = null;
  mode = 'idle';
  if (r === null) return { total: 0, ids: {} };
  const ids = {};
  for (const [id, e] of r.ids) ids[id] = { n: e.n, last: e.last };
  return { total: r.total, ids };
}

// ---------------------------------------------------------------------------------------------
// Seq: each connection sends "S|<seq>" at a steady rate; the handler answers "R|<version>|<seq>".

let seq = null;

function seqReply(c, buf) {
  const s = seq;
  if (s === null) return;
  // "R|<version>|<seq>"
  const str = buf.toString('latin1');
  const a = str.indexOf('|');
  const b = str.indexOf('|', a + 1);
  if (str[0] !== 'R' || a < 0 || b < 0) {
    s.bad++;
    return;
  }
  const version = str.slice(a + 1, b);
  const n = Number(str.slice(b + 1));
  const st = c.sent;
  if (!(n >= 0 && n < c.seq)) {
    s.bad++;
    return;
  }
  if (c.answered[n] === 1) {
    s.dups++;
    return;
  }
  c.answered[n] = 1;
  if (n < c.last) s.outOfOrder++;
  else c.last = n;
  s.answered++;
  s.versions[version] = (s.versions[version] ?? 0) + 1;
  const phase = c.phase[n];
  const h = s.hists[phase] ?? (s.hists[phase] = new Histogram());
  h.record(Math.round((now() - st[n]) * 1000));
  s.lastVersionPerPhase[phase] = version;
}

function startSeq({ ratePerConn = 20, phase = 'steady' }) {
  const active = conns.filter((c) => !c.closed);
  mode = 'seq';
  const s = {
    active,
    rate: ratePerConn,
    phase,
    sent: 0,
    answered: 0,
    dups: 0,
    bad: 0,
    outOfOrder: 0,
    versions: {},
    hists: {},
    lastVersionPerPhase: {},
    timer: null,
    start: now(),
    rr: 0,
    disconnectsAtStart: disconnects,
  };
  for (const c of active) {
    c.seq = 0;
    c.last = -1;
    c.sent = [];
    c.phase = [];
    c.answered = [];
  }
  seq = s;
  const total = active.length * ratePerConn; // msgs/s for this process
  s.timer = setInterval(() => {
    const due = Math.floor(((now() - s.start) / 1000) * total) - s.sent;
    for (let k = 0; k < due && k < 50_000; k++) {
      const c = active[s.rr];
      s.rr = (s.rr + 1) % active.length;
      if (c.closed) continue;
      const n = c.seq++;
      c.sent[n] = now();
      c.phase[n] = s.phase;
      c.sendText(`S|${n}`);
      s.sent++;
    }
  }, 5);
  return { conns: active.length, rate: total };
}

async function stopSeq({ drainMs = 5_000 }) {
  const s = seq;
  if (s === null) return null;
  clearInterval(s.timer);
  const deadline = now() + drainMs;
  while (s.answered + s.dups < s.sent && now() < deadline && s.answered < s.sent) await sleep(20);
  seq = null;
  mode = 'idle';
  const lostByPhase = {};
  let unanswered = 0;
  for (const c of s.active) {
    for (let n = 0; n < c.seq; n++) {
      if (c.answered[n] !== 1) {
        unanswered++;
        lostByPhase[c.phase[n]] = (lostByPhase[c.phase[n]] ?? 0) + 1;
      }
    }
    c.sent = c.phase = c.answered = null;
  }
  const hists = {};
  for (const [k, h] of Object.entries(s.hists)) hists[k] = h.toJSON();
  return {
    sent: s.sent,
    answered: s.answered,
    unanswered,
    lostByPhase,
    dups: s.dups,
    bad: s.bad,
    outOfOrder: s.outOfOrder,
    versions: s.versions,
    hists,
    disconnects: disconnects - s.disconnectsAtStart,
  };
}

// ---------------------------------------------------------------------------------------------

async function pingAll({ timeoutMs = 15_000 }) {
  const active = conns.filter((c) => !c.closed);
  const prev = mode;
  mode = 'ping';
  for (const c of active) c.pong = false;
  const started = now();
  // Spread the pings a little so 18k pings do not land as one burst.
  for (let k = 0; k < active.length; k++) {
    active[k].ping();
    if (k % 2000 === 1999) await new Promise((r) => setImmediate(r));
  }
  const deadline = started + timeoutMs;
  let alive = 0;
  while (now() < deadline) {
    alive = 0;
    for (const c of active) if (c.pong) alive++;
    if (alive === active.length) break;
    await sleep(20);
  }
  mode = prev;
  return { pinged: active.length, alive, dead: active.length - alive, ms: now() - started };
}

function stats() {
  const m = process.memoryUsage();
  return { held: live(), total: conns.length, disconnects, errors, rss: m.rss, heapUsed: m.heapUsed };
}

async function closeAll() {
  const n = live();
  for (let k = 0; k < conns.length; k++) {
    conns[k].close();
    if (k % 2000 === 1999) await new Promise((r) => setImmediate(r));
  }
  conns.length = 0;
  disconnects = 0;
  errors = 0;
  return { closed: n };
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

const commands = {
  connect,
  echo: runEcho,
  ingest: runIngest,
  receive: startReceive,
  'receive-stop': stopReceive,
  seq: startSeq,
  'seq-stop': stopSeq,
  phase: ({ name }) => {
    if (seq !== null) seq.phase = name;
    return { phase: name };
  },
  'ping-all': pingAll,
  stats,
  close: closeAll,
  exit: async () => {
    await closeAll();
    setTimeout(() => process.exit(0), 50);
    return {};
  },
};

process.on('message', async (msg) => {
  const fn = commands[msg.cmd];
  try {
    if (fn === undefined) throw new Error(`unknown command ${msg.cmd}`);
    const result = await fn(msg.args ?? {});
    process.send({ id: msg.id, ok: true, result });
  } catch (err) {
    process.send({ id: msg.id, ok: false, error: err?.stack ?? String(err) });
  }
});
// The coordinator went away: do not linger.
process.on('disconnect', () => process.exit(0));
process.send({ ev: 'ready', pid: process.pid });
