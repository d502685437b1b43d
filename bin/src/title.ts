import { basename } from 'node:path';
import type { Config } from './config/schema.js';

/**
 * What `ps` and `top` show for each process: `gateworker <role> <index> <what it serves>`, so an
 * operator tells the gateway from the workers without reading pids from the logs.
 */
export function roleTitle(role: 'register' | 'gateway' | 'worker', index: number, config: Config): string {
  if (role === 'register') return `gateworker register ${config.register?.listen ?? ''}`.trimEnd();
  if (role === 'gateway') return `gateworker gateway ${index} ${(config.gateway?.listen ?? []).map((l) => l.url).join(',')}`.trimEnd();
  return `gateworker worker ${index} ${config.worker === undefined ? '' : basename(config.worker.handler)}`.trimEnd();
}

export function supervisorTitle(configFile: string | null): string {
  return `gateworker supervisor ${configFile ?? 'built-in default'}`;
}

/**
 * Sets process.title. Linux keeps the title in the memory of the original command line, so a
 * title longer than it is cut; the supervisor therefore starts children with their role and
 * index as arguments (see spawn.ts), which also makes them recognisable if the title is cut.
 */
export function setTitle(title: string): void {
  process.title = title;
}
