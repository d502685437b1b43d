import { chmodSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { ControlError } from './errors.js';
import { CONTROL_WIRE_VERSION, MAX_LINE_BYTES, newNonce, parseObject, proof, proofMatches, readLines } from './control-wire.js';
import { checkRunDir, controlSocketPath, notRunning, prepareRunDir, readToken, removeRunDir, writeToken } from './run-dir.js';
import type { TreeSnapshot } from '../admin/snapshot.js';
import type { ReloadResult } from './supervisor.js';

export { controlSocketPath, runDirFor } from './run-dir.js';

/**
 * The control channel between `gateworker start` and the commands that steer it (`reload`, `stop`,
 * …): a Unix socket (0600) in the private run directory, one authenticated request and one
 * authenticated answer per connection (see control-wire.ts). Only a process of the same user
 * that can read the token file can command the cluster, and a client believes only an answer
 * that proves the token: a fake socket is reported, never obeyed.
 */

/**
 * Every control command: the fields of its request besides `cmd`, and the `data` of its answer.
 * To add one, add a row here and its handler to the table `start` passes to `serveControl` (the
 * compiler reports a missing handler).
 */
export interface ControlCommands {
  reload: { request: Record<never, never>; data: ReloadResult };
  stop: { request: Record<never, never>; data: undefined };
  pids: { request: Record<never, never>; data: { pid: number; children: { role: string; index: number; pid: number | undefined }[] } };
  status: { request: Record<never, never>; data: TreeSnapshot };
}

export type ControlCommand = keyof ControlCommands;
export type ControlRequest<C extends ControlCommand = ControlCommand> = { cmd: C } & ControlCommands[C]['request'];
export interface ControlReply<D = unknown> {
  ok: boolean;
  message: string;
  data?: D;
}
export type ControlHandlers = {
  [C in ControlCommand]: (request: ControlRequest<C>) => Promise<ControlReply<ControlCommands[C]['data']>>;
};

/** Time a control client has to send its request after connecting, in ms. */
export const CONTROL_REQUEST_TIMEOUT_MS = 10_000;
/** Time the probe for a live `start` waits for its greeting, in ms. */
const PROBE_TIMEOUT_MS = 1_000;

/**
 * Sends one request and resolves with the supervisor's proven answer. Rejects with a
 * ControlError: not running, unsafe run directory, forged answer, refused, or timeout.
 */
export function sendControl<C extends ControlCommand>(
  runDir: string,
  request: ControlRequest<C>,
  timeoutMs: number,
): Promise<ControlReply<ControlCommands[C]['data']>> {
  return new Promise((resolve, reject) => {
    try {
      checkRunDir(runDir);
    } catch (err) {
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- checkRunDir throws Errors; the cast states it for prefer-promise-reject-errors
      reject(err as Error);
      return;
    }
    const path = controlSocketPath(runDir);
    let token: Buffer;
    try {
      token = readToken(runDir);
    } catch (err) {
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- readToken throws Errors; the cast states it for prefer-promise-reject-errors
      reject(err as Error);
      return;
    }
    const socket = createConnection(path);
    let settled = false;
    const finish = (err: Error | null, reply?: ControlReply<ControlCommands[C]['data']>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err !== null) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(
      () => finish(new ControlError('GW_ERR_CONTROL_TIMEOUT', `no answer from gateworker start within ${timeoutMs} ms (${path})`)),
      timeoutMs,
    );
    const forged = (why: string) =>
      new ControlError(
        'GW_ERR_CONTROL_FORGED',
        `the answer on ${path} is not from this cluster's \`gateworker start\` (${why}): a fake or foreign socket; nothing was done`,
      );
    let serverNonce: string | null = null;
    const clientNonce = newNonce();
    readLines(
      socket,
      MAX_LINE_BYTES,
      (line) => {
        const message = parseObject(line);
        if (serverNonce === null) {
          if (message?.['gateworker'] !== 'control' || typeof message['nonce'] !== 'string' || message['v'] !== CONTROL_WIRE_VERSION) {
            finish(forged('no gateworker greeting'));
            return;
          }
          serverNonce = message['nonce'];
          const body = JSON.stringify(request);
          socket.write(
            JSON.stringify({ nonce: clientNonce, body, proof: proof(token, 'gateworker/control/request', serverNonce, clientNonce, body) }) + '\n',
          );
          return;
        }
        if (message !== null && typeof message['refused'] === 'string') {
          finish(new ControlError('GW_ERR_CONTROL_REFUSED', `gateworker start refused the request: ${message['refused']}`));
          return;
        }
        const body = message?.['body'];
        if (
          typeof body !== 'string' ||
          !proofMatches(proof(token, 'gateworker/control/answer', serverNonce, clientNonce, body), message?.['proof'])
        ) {
          finish(forged('it does not prove the token'));
          return;
        }
        const reply = parseObject(body);
        if (reply === null || typeof reply['ok'] !== 'boolean' || typeof reply['message'] !== 'string') {
          finish(new ControlError('GW_ERR_CONTROL_PROTOCOL', `malformed answer on ${path}`));
          return;
        }
        finish(null, reply as unknown as ControlReply<ControlCommands[C]['data']>);
      },
      () => finish(new ControlError('GW_ERR_CONTROL_PROTOCOL', `answer on ${path} longer than ${MAX_LINE_BYTES} bytes`)),
    );
    socket.on('end', () =>
      finish(
        serverNonce === null
          ? forged('closed without a greeting')
          : new ControlError('GW_ERR_CONTROL_PROTOCOL', `gateworker start closed the control connection without an answer (${path})`),
      ),
    );
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') finish(notRunning(runDir));
      else finish(err);
    });
  });
}

/** True when something accepts connections on the socket (a live `start`, or anything else). */
function somethingListens(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    const done = (alive: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(alive);
    };
    const timer = setTimeout(() => done(true), PROBE_TIMEOUT_MS);
    socket.on('connect', () => done(true));
    socket.on('error', () => done(false));
  });
}

/** A serving control channel; `close()` stops it and removes the run directory. */
export interface ControlServer {
  readonly runDir: string;
  close(): void;
}

/**
 * Prepares the private run directory, writes a fresh token and serves control requests. Refuses
 * (GW_ERR_CONTROL_BUSY) when something already listens on the socket; removes a stale socket
 * left by a crashed `start`.
 */
export async function serveControl(runDir: string, handlers: ControlHandlers): Promise<ControlServer> {
  prepareRunDir(runDir);
  const path = controlSocketPath(runDir);
  if (await somethingListens(path)) {
    throw new ControlError('GW_ERR_CONTROL_BUSY', `another \`gateworker start\` is already running for this config (${path})`);
  }
  rmSync(path, { force: true });
  const token = writeToken(runDir);
  const server = createServer((socket) => serveOne(socket, token, handlers));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  // The directory is already 0700; the socket itself is private too, whatever the umask.
  chmodSync(path, 0o600);
  server.unref();
  let closed = false;
  return {
    runDir,
    close: () => {
      if (closed) return;
      closed = true;
      server.close();
      removeRunDir(runDir);
    },
  };
}

function serveOne(socket: Socket, token: Buffer, handlers: ControlHandlers): void {
  const serverNonce = newNonce();
  let answered = false;
  socket.on('error', () => {});
  socket.setTimeout(CONTROL_REQUEST_TIMEOUT_MS, () => {
    if (!answered) socket.destroy();
  });
  const refuse = (why: string) => {
    answered = true;
    socket.end(JSON.stringify({ refused: why }) + '\n');
  };
  socket.write(JSON.stringify({ gateworker: 'control', v: CONTROL_WIRE_VERSION, nonce: serverNonce }) + '\n');
  readLines(
    socket,
    MAX_LINE_BYTES,
    (line) => {
      if (answered) return;
      const message = parseObject(line);
      const clientNonce = message?.['nonce'];
      const body = message?.['body'];
      if (typeof clientNonce !== 'string' || typeof body !== 'string') return refuse('malformed request');
      if (!proofMatches(proof(token, 'gateworker/control/request', serverNonce, clientNonce, body), message?.['proof'])) {
        return refuse('the request does not prove the token of this run directory');
      }
      const request = parseObject(body);
      const cmd = request?.['cmd'];
      if (typeof cmd !== 'string' || !Object.hasOwn(handlers, cmd)) return refuse(`unknown command ${JSON.stringify(cmd)}`);
      answered = true;
      socket.setTimeout(0);
      const handle = handlers[cmd as ControlCommand] as (r: unknown) => Promise<ControlReply>;
      handle(request).then(
        (reply) => answer(reply),
        (err: unknown) => answer({ ok: false, message: err instanceof Error ? err.message : String(err) }),
      );
      function answer(reply: ControlReply): void {
        const text = JSON.stringify(reply);
        socket.end(JSON.stringify({ body: text, proof: proof(token, 'gateworker/control/answer', serverNonce, clientNonce as string, text) }) + '\n');
      }
    },
    () => refuse(`request longer than ${MAX_LINE_BYTES} bytes`),
  );
}
