import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The control channel between `gateworker start` and the `reload` / `stop` commands: a Unix
 * socket in a run directory derived from the config file (so several clusters on one machine do
 * not meet), one JSON request and one JSON reply per connection.
 */

export type ControlRequest = { cmd: 'reload' } | { cmd: 'stop' } | { cmd: 'pids' } | { cmd: 'status' };
export interface ControlReply {
  ok: boolean;
  message: string;
  data?: unknown;
}

/** Run directory for a config file (null = built-in default). `GATEWORKER_RUN_DIR` overrides it. */
export function runDirFor(configFile: string | null, env: NodeJS.ProcessEnv = process.env): string {
  const override = env['GATEWORKER_RUN_DIR'];
  if (override !== undefined && override !== '') return override;
  const key = createHash('sha256').update(configFile ?? 'built-in default').digest('hex').slice(0, 16);
  return join(tmpdir(), `gateworker-${key}`);
}

export function controlSocketPath(runDir: string): string {
  return join(runDir, 'control.sock');
}

/** Sends one request; rejects with a clear message when nothing is running there. */
export function sendControl(runDir: string, request: ControlRequest, timeoutMs: number): Promise<ControlReply> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(controlSocketPath(runDir));
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from gateworker start within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(JSON.stringify(request) + '\n'));
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('end', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(data) as ControlReply);
      } catch {
        reject(new Error('gateworker start closed the control connection without an answer'));
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') reject(new Error(`no running \`gateworker start\` for this config (looked in ${runDir})`));
      else reject(err);
    });
  });
}

/**
 * Serves control requests. Refuses to start when another live `start` owns the run directory;
 * removes a stale socket left by a crashed one.
 */
export async function serveControl(runDir: string, handle: (request: ControlRequest) => Promise<ControlReply>): Promise<Server> {
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  const path = controlSocketPath(runDir);
  const alive = await sendControl(runDir, { cmd: 'pids' }, 1_000).then(
    () => true,
    () => false,
  );
  if (alive) throw new Error(`another \`gateworker start\` is already running for this config (${path})`);
  rmSync(path, { force: true });
  const server = createServer((socket) => {
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('error', () => {});
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const nl = buffer.indexOf('\n');
      if (nl < 0) return;
      let request: ControlRequest;
      try {
        request = JSON.parse(buffer.slice(0, nl)) as ControlRequest;
      } catch {
        socket.end(JSON.stringify({ ok: false, message: 'bad control request' }));
        return;
      }
      handle(request).then(
        (reply) => socket.end(JSON.stringify(reply)),
        (err: Error) => socket.end(JSON.stringify({ ok: false, message: err.message })),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  server.unref();
  return server;
}
