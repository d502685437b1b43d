import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from './cluster.js';

/**
 * A real redis-server for a test file: a free port, a temp dir, no persistence. `kill()` and
 * `start()` again on the same port simulate an outage. Stopped by pid.
 */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Runs redis-cli against this server; resolves with its stdout (trimmed). */
  cli(...args: string[]): Promise<string>;
  /** SIGKILL (an outage); `start()` brings it back on the same port. */
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 15_000;

export async function startRedis(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-redis-'));
  const [port] = (await freePorts(1)) as [number];
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();

  const cli = (...args: string[]) =>
    new Promise<string>((resolve, reject) => {
      execFile(
        'redis-cli',
        ['-h', '127.0.0.1', '-p', String(port), ...args],
        { timeout: 10_000, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => {
          if (err) reject(new Error(`redis-cli ${args[0]} failed: ${stderr || err.message}`));
          else resolve(stdout.trim());
        },
      );
    });

  const start = async (): Promise<void> => {
    const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = c;
    exited = new Promise((resolve) => c.once('exit', () => resolve()));
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`redis-server not ready within ${READY_TIMEOUT_MS} ms: ${out.slice(-1000)}`)),
        READY_TIMEOUT_MS,
      );
      c.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      c.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited (${code}): ${out.slice(-1000)}`));
      });
    });
  };

  const kill = async (): Promise<void> => {
    if (child !== null && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    child = null;
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    cli,
    kill,
    start,
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
