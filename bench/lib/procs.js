// Process bookkeeping shared by the bench: every process we start is tracked by pid and killed
// on exit (normal, error or signal), so nothing survives a bench run.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';

const tracked = new Map(); // pid -> { what, group }

export function track(pid, what, { group = false } = {}) {
  if (pid !== undefined) tracked.set(pid, { what, group });
}

export function untrack(pid) {
  tracked.delete(pid);
}

export function killTracked(signal = 'SIGKILL') {
  for (const [pid, { group }] of tracked) {
    try {
      process.kill(group ? -pid : pid, signal);
    } catch {}
    if (group) {
      try {
        process.kill(pid, signal);
      } catch {}
    }
  }
  tracked.clear();
}

let installed = false;
export function installCleanup(extra = () => {}) {
  if (installed) return;
  installed = true;
  process.on('exit', () => {
    try {
      extra();
    } catch {}
    killTracked('SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      killTracked('SIGKILL');
      process.exit(130);
    });
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const now = () => performance.timeOrigin + performance.now();

/** /proc/<pid>/status fields in bytes (VmRSS, VmHWM, RssAnon...). */
export function procStatus(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const out = {};
    for (const line of text.split('\n')) {
      const m = /^(Vm\w+|Rss\w+|Threads):\s+(\d+)(?:\s+kB)?/.exec(line);
      if (m) out[m[1]] = m[1] === 'Threads' ? Number(m[2]) : Number(m[2]) * 1024;
    }
    return out;
  } catch {
    return null;
  }
}

export function rssOf(pid) {
  return procStatus(pid)?.VmRSS ?? null;
}

/** CPU time (user+sys) of a process in ms, from /proc/<pid>/stat. */
export function cpuMsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // CLK_TCK = 100
  } catch {
    return null;
  }
}

function canListen(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/**
 * `n` consecutive free ports below the ephemeral range (32768+), so the load generator's
 * client sockets cannot take them between our check and the server's listen.
 */
export async function freePortRange(n = 1, lo = 20_000, hi = 32_000) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = lo + Math.floor(Math.random() * (hi - lo - n));
    let ok = true;
    for (let k = 0; k < n && ok; k++) ok = await canListen(base + k);
    if (ok) return base;
  }
  throw new Error(`no ${n} consecutive free ports found`);
}

export async function freePort() {
  return freePortRange(1);
}
