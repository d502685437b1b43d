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
  return typeof index === 'number' && (role === 'gateway' || role === 'worker') ? `${role}${index}` : String(role);
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
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- pino's message is a string; anything else is printed as-is
      return `${colors.cyan(prefix)}| ${colors.gray(clock(log['time']))} ${paint(level)} ${String(log[messageKey] ?? '')}`;
    },
  });
}

/**
 * One pino logger per process with the role and node id on every line. JSON lines when stdout is
 * not a terminal (logs are for machines then); one readable line per event on a terminal.
 */
export function createLogger(
  role: Role,
  nodeId: string,
  level: string,
  extra: Record<string, unknown> = {},
  output: { file?: string | undefined } = {},
): PinoLogger {
  const members = new Set<WeakRef<PinoLogger>>();
  const options = {
    level,
    base: { role, node: nodeId, pid: process.pid, ...extra },
    // Every logger derived from this one (children of children too: pino inherits onChild), so a
    // live logLevel change reaches the loggers the roles hold; pino children copy the level once.
    onChild: (child: PinoLogger) => {
      if (members.size >= PRUNE_AT) prune(members);
      members.add(new WeakRef(child));
    },
  };
  let root: PinoLogger;
  if (output.file !== undefined) {
    // A log file (`start -d`, `--log-file`): JSON lines appended; SIGUSR2 reopens it (logrotate).
    const file = pino.destination({ dest: output.file, sync: true, append: true, mkdir: true });
    process.on('SIGUSR2', () => file.reopen());
    root = pino(options, file);
  } else if (process.stdout.isTTY) {
    root = pino(options, terminalStream());
  } else {
    root = pino(options, pino.destination({ dest: 1, sync: true }));
  }
  families.set(root, members);
  return root;
}

/** The derived loggers of each root logger (weakly held: per-link children come and go). */
const families = new WeakMap<PinoLogger, Set<WeakRef<PinoLogger>>>();
/** Forget collected children once the set holds this many entries. */
const PRUNE_AT = 1024;

function prune(members: Set<WeakRef<PinoLogger>>): void {
  for (const ref of members) if (ref.deref() === undefined) members.delete(ref);
}

/** Sets the level of a root logger from createLogger and of every logger derived from it. */
export function setLogLevel(root: PinoLogger, level: string): void {
  root.level = level;
  const members = families.get(root);
  if (members === undefined) return;
  for (const ref of members) {
    const logger = ref.deref();
    if (logger === undefined) members.delete(ref);
    else logger.level = level;
  }
}

export function defaultNodeId(): string {
  return hostname();
}
