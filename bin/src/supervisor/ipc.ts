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
  // With `discovery:`: the child listens for the gateway list (answered with the current one), and
  // a gateway child's record, published by the supervisor's one session.
  | { type: 'discovery-subscribe' }
  | { type: 'discovery-publish'; info: GatewayInfo }
  | { type: 'discovery-unpublish'; gatewayId: string };

/** Supervisor → child. `stop`: graceful close and exit; for a worker that means drain. */
export type SupervisorMessage =
  | { type: 'stop' }
  // With `discovery:`, the whole gateway list as the supervisor's session sees it (on every change).
  | { type: 'discovery-view'; gateways: GatewayInfo[] };

export const CHILD_ENV = 'GATEWORKER_CHILD';
