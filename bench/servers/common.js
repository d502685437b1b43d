// Shared IPC plumbing of the bare baseline servers (forked by bench/servers/index.js).
// Commands: mem (after a full GC when run with --expose-gc), count, exit, plus server-specific ones.
import { readFileSync } from 'node:fs';

export function memory() {
  if (typeof globalThis.gc === 'function') {
    globalThis.gc();
    globalThis.gc();
  }
  const m = process.memoryUsage();
  let rss = m.rss;
  try {
    const s = readFileSync('/proc/self/status', 'utf8');
    rss = Number(/VmRSS:\s+(\d+)/.exec(s)[1]) * 1024;
  } catch {}
  return { rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers };
}

export function serve(commands) {
  process.on('message', async (msg) => {
    try {
      const fn = commands[msg.cmd];
      if (fn === undefined) throw new Error(`unknown command ${msg.cmd}`);
      process.send({ id: msg.id, ok: true, result: await fn(msg.args ?? {}) });
    } catch (err) {
      process.send({ id: msg.id, ok: false, error: err?.stack ?? String(err) });
    }
  });
  process.on('disconnect', () => process.exit(0));
}
