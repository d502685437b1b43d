import { basename } from 'node:path';
import type { Config } from './config/schema.js';
import type { BoundAddresses } from './supervisor/bound.js';

/**
 * What `ps` and `top` show for each process: `gateworker <role> <index> <what it serves>`, so an
 * operator tells the gateway from the workers without reading pids from the logs. Set from the
 * config at start, and again from what the role bound once it runs (port 0 resolved).
 */
export function roleTitle(role: 'register' | 'gateway' | 'worker', index: number, config: Config, bound: BoundAddresses = {}): string {
  if (role === 'register') return `gateworker register ${bound.register ?? config.register?.listen ?? ''}`.trimEnd();
  if (role === 'gateway')
    return `gateworker gateway ${index} ${(bound.listeners ?? (config.gateway?.listen ?? []).map((l) => l.url)).join(',')}`.trimEnd();
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
