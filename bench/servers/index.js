// Starts a bare baseline server as its own process (forked, with --expose-gc for memory reads).
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { track, untrack, freePort } from '../lib/procs.js';

const FILES = {
  'ws-echo': 'bare-ws-echo.js',
  'tcp-echo': 'bare-tcp-echo.js',
  'ws-broadcast': 'bare-ws-broadcast.js',
};

export async function startBare(kind) {
  const file = fileURLToPath(new URL(`./${FILES[kind]}`, import.meta.url));
  const port = await freePort();
  const proc = fork(file, [String(port)], { stdio: ['ignore', 'inherit', 'pipe', 'ipc'], execArgv: ['--expose-gc'] });
  // pass stderr through, minus the inspector's banner (the connections scenario attaches one)
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d) => {
    const text = d
      .split('\n')
      .filter((l) => l && !/^(Debugger listening|For help, see|Debugger attached|Debugger ending)/.test(l))
      .join('\n');
    if (text) process.stderr.write(text + '\n');
  });
  track(proc.pid, `bare ${kind}`);
  const exited = new Promise((r) => proc.once('exit', r));
  exited.then(() => untrack(proc.pid));
  let nextId = 1;
  const pending = new Map();
  let readyResolve, readyReject;
  const ready = new Promise((res, rej) => ((readyResolve = res), (readyReject = rej)));
  const timer = setTimeout(() => readyReject(new Error(`bare ${kind} did not start`)), 10_000);
  proc.on('message', (m) => {
    if (m.ev === 'ready') {
      clearTimeout(timer);
      readyResolve(m);
      return;
    }
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    m.ok ? p.resolve(m.result) : p.reject(new Error(m.error));
  });
  exited.then(() => readyReject(new Error(`bare ${kind} exited`)));
  const info = await ready;
  const call = (cmd, args = {}) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      proc.send({ id, cmd, args });
      setTimeout(() => {
        if (pending.delete(id)) reject(new Error(`bare ${kind}: ${cmd} timed out`));
      }, 30_000);
    });
  return {
    pid: proc.pid,
    port: info.port,
    url: kind === 'tcp-echo' ? `tcp://127.0.0.1:${info.port}` : `ws://127.0.0.1:${info.port}/`,
    call,
    async stop() {
      call('exit').catch(() => {});
      const t = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    },
  };
}
