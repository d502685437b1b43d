import type { GatewaySnapshot } from '@gateworker/gateway';
import type { RegisterSnapshot } from '@gateworker/register';
import type { WorkerSnapshot } from '@gateworker/worker';
import type { ProcessSnapshot, Readiness } from './snapshot.js';

/**
 * When a process is ready to serve (what `/readyz` answers):
 * - a register: listening;
 * - a gateway: listening, announced to a register (when it has registers), and at least one
 *   worker linked and ready (clients that come in get served, not buffered);
 * - a worker: linked and ready on every gateway its directory lists (and at least one).
 */

export function registerReadiness(s: RegisterSnapshot): Readiness {
  return s.listening ? ok() : notReady('register: not listening');
}

export function gatewayReadiness(s: GatewaySnapshot): Readiness {
  const missing: string[] = [];
  if (s.state !== 'started') missing.push(`gateway ${s.gatewayId}: ${s.state}, not listening`);
  if (s.registers > 0 && !s.announced) missing.push(`gateway ${s.gatewayId}: not announced (no register connected)`);
  if (s.stats.workers === 0) missing.push(`gateway ${s.gatewayId}: no worker linked`);
  return { ready: missing.length === 0, missing };
}

export function workerReadiness(s: WorkerSnapshot): Readiness {
  const missing: string[] = [];
  if (s.state !== 'ready') missing.push(`worker ${s.workerId}: ${s.state}`);
  if (s.gatewaysListed === 0) missing.push(`worker ${s.workerId}: no gateway listed by the register`);
  for (const g of s.gateways) if (g.state !== 'ready') missing.push(`worker ${s.workerId}: not linked to gateway ${g.gatewayId} (${g.state})`);
  return { ready: missing.length === 0, missing };
}

/** Readiness of a process from its role snapshot. */
export function readinessOf(s: Pick<ProcessSnapshot, 'register' | 'gateway' | 'worker'>): Readiness {
  const parts: Readiness[] = [];
  if (s.register !== undefined) parts.push(registerReadiness(s.register));
  if (s.gateway !== undefined) parts.push(gatewayReadiness(s.gateway));
  if (s.worker !== undefined) parts.push(workerReadiness(s.worker));
  if (parts.length === 0) return notReady('no role running yet');
  return combine(parts);
}

export function combine(parts: Readiness[]): Readiness {
  const missing = parts.flatMap((p) => p.missing);
  return { ready: parts.every((p) => p.ready), missing };
}

export function ok(): Readiness {
  return { ready: true, missing: [] };
}

export function notReady(why: string): Readiness {
  return { ready: false, missing: [why] };
}
