// Reads another Node process's memory after a full GC, without its cooperation: SIGUSR1 opens
// its inspector on 127.0.0.1:9229, we attach over the DevTools protocol, call
// HeapProfiler.collectGarbage and evaluate process.memoryUsage(). detach() closes the inspector
// again. Used for the gateway process of the `connections` scenario (the bare servers answer the
// same question themselves over IPC with --expose-gc).
import net from 'node:net';
import WebSocket from 'ws';
import { rssOf, sleep } from './procs.js';

const PORT = 9229;

function portBusy(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function attach(pid, timeoutMs = 5_000) {
  if (await portBusy(PORT)) throw new Error(`port ${PORT} is already in use; cannot attach an inspector`);
  process.kill(pid, 'SIGUSR1');
  const deadline = Date.now() + timeoutMs;
  let list = null;
  while (Date.now() < deadline) {
    try {
      list = await (await fetch(`http://127.0.0.1:${PORT}/json/list`)).json();
      if (list.length > 0) break;
    } catch {}
    await sleep(50);
  }
  if (!list?.length) throw new Error(`inspector of ${pid} did not open`);
  const ws = new WebSocket(list[0].webSocketDebuggerUrl, { perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  let nextId = 1;
  const pending = new Map();
  ws.on('message', (data) => {
    const m = JSON.parse(data);
    const p = pending.get(m.id);
    if (p) {
      pending.delete(m.id);
      m.error ? p.reject(new Error(m.error.message)) : p.resolve(m.result);
    }
  });
  ws.on('error', () => {});
  const call = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
      setTimeout(() => pending.delete(id) && reject(new Error(`${method} timed out`)), 30_000);
    });
  const evaluate = async (expression) => {
    const r = await call('Runtime.evaluate', { expression, returnByValue: true, includeCommandLineAPI: true });
    if (r.exceptionDetails) throw new Error(r.exceptionDetails.text);
    return r.result.value;
  };
  const remotePid = await evaluate('process.pid');
  if (remotePid !== pid) {
    ws.close();
    throw new Error(`the inspector on ${PORT} belongs to pid ${remotePid}, not ${pid}`);
  }
  return {
    /** Full GC, then process.memoryUsage() and VmRSS. */
    async read() {
      await call('HeapProfiler.collectGarbage');
      await call('HeapProfiler.collectGarbage');
      const m = JSON.parse(await evaluate('JSON.stringify(process.memoryUsage())'));
      return { rss: rssOf(pid), heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers };
    },
    async detach() {
      try {
        await Promise.race([evaluate("require('node:inspector').close()"), sleep(1_000)]);
      } catch {}
      ws.terminate();
    },
  };
}
