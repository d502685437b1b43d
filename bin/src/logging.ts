import { hostname } from 'node:os';
import pino, { type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';

export type Role = 'supervisor' | 'register' | 'gateway' | 'worker' | 'cli';

/** Width the role prefix is padded to on a terminal, so messages line up (`gateway0   | …`). */
const PREFIX_WIDTH = 10;
/** Keys the terminal line shows in its prefix (or not at all) rather than among the fields. */
const TERMINAL_IGNORED = 'time,level,pid,hostname,role,node,index';

/** `gateway0`, `worker1`, `register`, `supervisor`: who wrote a line. */
export function rolePrefix(role: unknown, index: unknown): string {
  return typeof index === 'number' && (role === 'gateway' || role === 'worker') ? `${String(role)}${index}` : String(role);
}

function clock(time: unknown): string {
  const d = new Date(typeof time === 'number' ? time : Date.now());
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/**
 * A terminal line: `gateway0   | 14:02:11.204 INFO  gateway started {"listeners":[…]}` — one line
 * per event (fields on the same line), the process it came from first.
 */
export function terminalStream(sync = true) {
  return pretty({
    colorize: true,
    singleLine: true,
    sync,
    ignore: TERMINAL_IGNORED,
    messageFormat: (log, messageKey, _levelLabelKey, { colors }) => {
      const label = pino.levels.labels[log['level'] as number] ?? String(log['level']);
      const prefix = rolePrefix(log['role'], log['index']).padEnd(PREFIX_WIDTH);
      const level = label.toUpperCase().padEnd(5);
      const paint = label === 'error' || label === 'fatal' ? colors.red : label === 'warn' ? colors.yellow : colors.gray;
      return `${colors.cyan(prefix)}| ${colors.gray(clock(log['time']))} ${paint(level)} ${String(log[messageKey] ?? '')}`;
    },
  });
}

/**
 * One pino logger per process with the role and node id on every line. JSON lines when stdout is
 * not a terminal (logs are for machines then); one readable line per event on a terminal.
 */
export function createLogger(role: Role, nodeId: string, level: string, extra: Record<string, unknown> = {}, output: { file?: string | undefined } = {}): PinoLogger {
  const options = { level, base: { role, node: nodeId, pid: process.pid, ...extra } };
  if (output.file !== undefined) {
    // A log file (`start -d`, `--log-file`): JSON lines appended; SIGUSR2 reopens it (logrotate).
    const file = pino.destination({ dest: output.file, sync: true, append: true, mkdir: true });
    process.on('SIGUSR2', () => file.reopen());
    return pino(options, file);
  }
  if (process.stdout.isTTY === true) return pino(options, terminalStream());
  return pino(options, pino.destination({ dest: 1, sync: true }));
}

export function defaultNodeId(): string {
  return hostname();
}
