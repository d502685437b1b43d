import type { Config } from '../config/schema.js';

/** What a supervised child is told at spawn (JSON in env GATEWORKER_CHILD). */
export interface ChildSpec {
  role: 'register' | 'gateway' | 'worker';
  index: number;
  /** Restart generation of this slot (0 for the first process), for logs. */
  generation: number;
  config: Config;
}

/** Child → supervisor. */
export type ChildMessage =
  | { type: 'ready'; summary: string }
  | { type: 'failed'; error: string; code: string | null };

/** Supervisor → child. `stop`: graceful close and exit; for a worker that means drain. */
export type SupervisorMessage = { type: 'stop' };

export const CHILD_ENV = 'GATEWORKER_CHILD';
