import type { GatewayInfo } from '@gateworker/protocol';
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
  | { type: 'failed'; error: string; code: string | null }
  | { type: 'reply'; id: number; result: unknown }
  // With `discovery:`: the child listens for the gateway list (answered with the current one), and
  // a gateway child's record, published by the supervisor's one session.
  | { type: 'discovery-subscribe' }
  | { type: 'discovery-publish'; info: GatewayInfo }
  | { type: 'discovery-unpublish'; gatewayId: string };

/** Supervisor → child. `stop`: graceful close and exit; for a worker that means drain. */
export type SupervisorMessage =
  | { type: 'stop' }
  | ChildRequest
  // With `discovery:`, the whole gateway list as the supervisor's session sees it (on every change).
  | { type: 'discovery-view'; gateways: GatewayInfo[] };

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

export const CHILD_ENV = 'GATEWORKER_CHILD';
