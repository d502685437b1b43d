import type { GatewayInfo } from '@gateworker/protocol';
import type { Config } from '../config/schema.js';
import type { BoundAddresses } from './bound.js';

/**
 * Messages between the supervisor and its children over the IPC channel `fork` sets up (a private
 * socket pair). The child's configuration, secret included, travels here and never in the
 * environment, where anything the handler spawns would inherit it and /proc/<pid>/environ shows it.
 */

/** What a supervised child is told right after spawn (first message over IPC). */
export interface ChildSpec {
  role: 'register' | 'gateway' | 'worker';
  index: number;
  /** Restart generation of this slot (0 for the first process), for logs. */
  generation: number;
  config: Config;
  /** The log file the child writes to (and reopens on SIGUSR2), when `start` has one. */
  logFile?: string | undefined;
}

/**
 * Child → supervisor. `hello`: listening for its spec (sent first; the spec answers it, so it is
 * never sent before the child can receive it). `signal`: the child got SIGTERM; the supervisor
 * decides what it means.
 */
export type ChildMessage =
  | { type: 'hello' }
  | { type: 'ready'; summary: string; bound: BoundAddresses }
  | { type: 'failed'; error: string; code: string | null }
  | { type: 'signal'; signal: 'SIGTERM' }
  | { type: 'reply'; id: number; result: unknown }
  // With `discovery:`: the child listens for the gateway list (answered with the current one), and
  // a gateway child's record, published by the supervisor's one session.
  | { type: 'discovery-subscribe' }
  | { type: 'discovery-publish'; info: GatewayInfo }
  | { type: 'discovery-unpublish'; gatewayId: string };

/**
 * Supervisor → child. `spec`: the child's role and config (the answer to `hello`). `stop`:
 * graceful close and exit; for a worker that means drain. `config`: see ConfigUpdate.
 * `discovery-view` (with `discovery:`): the whole gateway list as the supervisor's session sees
 * it, on every change.
 */
export type SupervisorMessage =
  { type: 'spec'; spec: ChildSpec } | { type: 'stop' } | ConfigUpdate | ChildRequest | { type: 'discovery-view'; gateways: GatewayInfo[] };

/**
 * A live configuration change (config centre or watched file): the configuration to run with
 * now, and the keys that changed (dotted). The child applies what concerns its role.
 */
export interface ConfigUpdate {
  type: 'config';
  config: Config;
  changed: string[];
}

/**
 * What the supervisor asks a child for (admin endpoints, `gateworker status`); the child answers
 * with a `reply` of the same id. snapshot → ProcessSnapshot; metrics → prom-client JSON (empty
 * when admin is off); lookup → the gateway's clients matching `query`. `restarts` is the slot's
 * restart count, which only the supervisor knows.
 */
export interface ChildRequest {
  type: 'request';
  id: number;
  what: 'snapshot' | 'metrics' | 'lookup';
  restarts: number;
  query?: string;
}

/**
 * The environment of a child: the supervisor's without any `GATEWORKER_*` variable (the config
 * arrives over IPC). Those keys are present with the value `undefined`, which spawn leaves out:
 * node:cluster merges what it is given over the parent's environment, so only an explicit
 * `undefined` removes a variable there.
 */
export function childEnv(parent: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...parent };
  for (const name of Object.keys(env)) {
    if (name.startsWith('GATEWORKER_')) env[name] = undefined;
  }
  return env;
}
