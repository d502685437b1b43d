import cluster from 'node:cluster';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BoundAddresses } from './bound.js';
import { childEnv, type ChildMessage, type ChildRequest, type ChildSpec, type SupervisorMessage } from './ipc.js';

const CHILD_ENTRY = fileURLToPath(new URL('../child.js', import.meta.url));

/** What a child reports when it is ready. */
export interface Ready {
  summary: string;
  bound: BoundAddresses;
}

/** A supervised child process and the promise of its readiness. */
export interface Spawned {
  readonly process: ChildProcess;
  /** Resolves with the child's summary line and bound addresses once it reports ready; rejects if it fails, exits first, or times out. */
  readonly ready: Promise<Ready>;
  /** Resolves with the exit code (or signal name) when the process has exited. */
  readonly exited: Promise<number | string>;
  send(message: SupervisorMessage): void;
  /** Called when the child reports a SIGTERM it received (see child.ts). */
  onSignal(listener: (signal: string) => void): void;
  /** Asks the child for a snapshot, its metrics or a client lookup; rejects after `timeoutMs` or if it exits first. */
  request(what: ChildRequest['what'], restarts: number, timeoutMs: number, query?: string): Promise<unknown>;
}

/**
 * Starts one role process. Gateway processes are cluster workers so that they share the client
 * listeners' ports; each binds its own internal port (internal + index). Registers and workers are
 * plain forks. The child gets its spec (config and secret) over IPC once it asks for it.
 */
export function spawnChild(spec: ChildSpec, readyTimeoutMs: number): Spawned {
  const env = childEnv(process.env);
  // Role and index as arguments: visible in `ps` before the child sets its title, and room on
  // the command line for that title (Linux writes it over the original arguments).
  const args = [spec.role, String(spec.index)];
  let proc: ChildProcess;
  if (spec.role === 'gateway') {
    // Every gateway process accepts from the shared listening socket itself (SCHED_NONE): with
    // round-robin the supervisor would accept every client connection and hand it over, so a
    // connection accepted while a gateway dies would sit unread in the supervisor. Must be set
    // before the first setupPrimary/fork; it is the process-wide policy of node:cluster.
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    cluster.setupPrimary({ exec: CHILD_ENTRY, args, silent: false });
    proc = cluster.fork(env).process;
  } else {
    proc = fork(CHILD_ENTRY, args, { env, stdio: 'inherit' });
  }
  const send = (message: SupervisorMessage) => {
    if (proc.connected) proc.send(message);
  };
  const exited = new Promise<number | string>((resolve) => {
    proc.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  const signalListeners: ((signal: string) => void)[] = [];
  const ready = new Promise<Ready>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${spec.role} ${spec.index} did not report ready within ${readyTimeoutMs} ms`)), readyTimeoutMs);
    const onMessage = (m: ChildMessage) => {
      if (m.type === 'hello') {
        send({ type: 'spec', spec });
      } else if (m.type === 'ready') {
        clearTimeout(timer);
        resolve({ summary: m.summary, bound: m.bound });
      } else if (m.type === 'failed') {
        clearTimeout(timer);
        reject(Object.assign(new Error(m.error), { code: m.code }));
      } else if (m.type === 'signal') {
        for (const listener of signalListeners) listener(m.signal);
      }
    };
    proc.on('message', onMessage);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${spec.role} ${spec.index} exited (${code}) before it was ready`));
    });
  });
  ready.catch(() => {}); // observed by the caller; never an unhandled rejection
  const replies = new Map<number, { resolve: (result: unknown) => void; reject: (err: Error) => void }>();
  let nextRequestId = 1;
  proc.on('message', (m: ChildMessage) => {
    if (m.type !== 'reply') return;
    replies.get(m.id)?.resolve(m.result);
    replies.delete(m.id);
  });
  void exited.then((code) => {
    for (const r of replies.values()) r.reject(new Error(`${spec.role} ${spec.index} exited (${code})`));
    replies.clear();
  });
  return {
    process: proc,
    ready,
    exited,
    send,
    onSignal: (listener) => signalListeners.push(listener),
    request: (what, restarts, timeoutMs, query) =>
      new Promise((resolve, reject) => {
        if (!proc.connected) return reject(new Error(`${spec.role} ${spec.index} is not connected`));
        const id = nextRequestId++;
        const timer = setTimeout(() => {
          replies.delete(id);
          reject(new Error(`${spec.role} ${spec.index} did not answer within ${timeoutMs} ms`));
        }, timeoutMs);
        replies.set(id, {
          resolve: (result) => (clearTimeout(timer), resolve(result)),
          reject: (err) => (clearTimeout(timer), reject(err)),
        });
        const request: ChildRequest = { type: 'request', id, what, restarts, ...(query !== undefined && { query }) };
        proc.send(request, (err) => {
          if (err !== null && replies.delete(id)) {
            clearTimeout(timer);
            reject(err);
          }
        });
      }),
  };
}
