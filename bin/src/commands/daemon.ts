import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import { prepareRunDir, runDirFor } from '../supervisor/run-dir.js';

/**
 * `gateworker start -d`: like GatewayWorker's `start -d`. Starts `gateworker start` again as a
 * detached process (its own session, no terminal, stdin closed), its output appended to the log
 * file, and returns once that cluster is ready — or fails, printing why. `status`, `reload`,
 * `stop` and `logs` reach it as they reach a foreground `start` (the same run directory).
 */

/** How long the launcher waits for the detached cluster to be ready, in ms. */
export const DAEMON_READY_TIMEOUT_MS = 60_000;
/** How often it looks at the log file meanwhile, in ms. */
const POLL_MS = 100;
export const DEFAULT_LOG_FILE_NAME = 'gateworker.log';

/** The log file of a daemon: `--log-file`, else gateworker.log in the run directory. */
export function logFileFor(loaded: LoadedConfig, logFile: string | undefined): string {
  return logFile !== undefined ? resolve(logFile) : join(runDirFor(loaded.file), DEFAULT_LOG_FILE_NAME);
}

/** Bytes appended to `file` since `offset`. */
function readFrom(file: string, offset: number): string {
  const size = statSync(file).size;
  if (size <= offset) return '';
  const buffer = Buffer.alloc(size - offset);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buffer, 0, buffer.length, offset);
  } finally {
    closeSync(fd);
  }
  return buffer.toString('utf8');
}

export async function runDaemon(loaded: LoadedConfig, argv: readonly string[], logFileOption: string | undefined): Promise<void> {
  const logFile = logFileFor(loaded, logFileOption);
  if (logFileOption === undefined) prepareRunDir(dirname(logFile));
  else mkdirSync(dirname(logFile), { recursive: true });
  const fd = openSync(logFile, 'a', 0o600);
  const offset = statSync(logFile).size;
  // The same command line without -d, with the log file named (the detached start reopens it on SIGUSR2).
  const args = argv.slice(1).filter((a) => a !== '-d' && a !== '--daemon');
  if (logFileOption === undefined) args.push('--log-file', logFile);
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', fd, fd], env: process.env });
  closeSync(fd);
  // Typed by assertion so the compiler does not narrow it to `null`: the 'exit' listener sets it.
  let exitCode = null as number | string | null;
  child.once('exit', (code, signal) => (exitCode = code ?? signal ?? 'unknown'));
  child.unref();
  const deadline = Date.now() + DAEMON_READY_TIMEOUT_MS;
  for (;;) {
    const text = readFrom(logFile, offset);
    if (text.includes('"msg":"cluster ready"')) {
      process.stdout.write(
        `gateworker: started in the background (pid ${child.pid}); logs: ${logFile}\n  status: gateworker status   logs: gateworker logs -f   stop: gateworker stop\n`,
      );
      return;
    }
    const failed = exitCode !== null || text.includes('"msg":"the cluster failed to start"') || Date.now() > deadline;
    if (failed) {
      const lines = text.trim().split('\n').slice(-10).join('\n');
      process.stderr.write(
        `gateworker: the background start ${exitCode === null ? 'did not get ready' : `exited (${exitCode})`}; last lines of ${logFile}:\n${lines}\n`,
      );
      if (exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
      process.exitCode = 1;
      return;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
