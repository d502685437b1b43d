import { hostname } from 'node:os';
import pino, { type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';

export type Role = 'supervisor' | 'register' | 'gateway' | 'worker' | 'cli';

/**
 * One pino logger per process with the role and node id on every line. JSON lines when stdout is
 * not a terminal (logs are for machines then); pretty, colourised lines on a terminal.
 */
export function createLogger(role: Role, nodeId: string, level: string, extra: Record<string, unknown> = {}): PinoLogger {
  const options = { level, base: { role, node: nodeId, pid: process.pid, ...extra } };
  if (process.stdout.isTTY === true) {
    return pino(options, pretty({ colorize: true, ignore: 'hostname', translateTime: 'HH:MM:ss.l', sync: true }));
  }
  return pino(options, pino.destination({ dest: 1, sync: true }));
}

export function defaultNodeId(): string {
  return hostname();
}
