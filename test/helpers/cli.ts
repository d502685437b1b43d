import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/** The `gateworker` command of this checkout. */
export const CLI = resolve(import.meta.dirname, '../../bin/gateworker.js');

export interface CliResult {
  /** The exit code; null when the process was killed (also after the time limit). */
  code: number | null;
  stdout: string;
  stderr: string;
  /** The time limit ran out and the process was SIGKILLed. */
  timedOut: boolean;
}

export interface CliOptions {
  cwd?: string | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  /** SIGKILL the command after this long, in milliseconds (default 20 s). */
  timeoutMs?: number;
}

/** Runs `gateworker <args>` to its end and collects its output; never leaves the process running. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((done) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    p.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    p.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      timedOut = true;
      p.kill('SIGKILL');
    }, options.timeoutMs ?? 20_000);
    p.once('exit', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, timedOut });
    });
  });
}

/**
 * The environment for a gateworker command a test starts: this process's, without any inherited
 * GATEWORKER_* variable (the test's config file is the whole config), with GATEWORKER_RUN_DIR set
 * (the control socket and pid files stay in the test's own directory).
 */
export function cliEnv(runDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('GATEWORKER_')) delete env[k];
  env['GATEWORKER_RUN_DIR'] = runDir;
  return env;
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
