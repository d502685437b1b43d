import type { ChildRequest } from '../supervisor/ipc.js';
import type { LocalProcess } from './local.js';
import { ProcessMetrics } from './metrics.js';

/**
 * A supervised child's side of the admin module: answers the supervisor's requests from the
 * local snapshot. prom-client is loaded (and its default collectors started) only when the
 * config enables the admin endpoint.
 */
export class ChildAdmin {
  private metrics: ProcessMetrics | null = null;

  constructor(
    private readonly local: LocalProcess,
    private readonly metricsEnabled: boolean,
  ) {
    if (metricsEnabled) this.metrics = new ProcessMetrics(() => local.snapshot(), { role: local.role, index: local.index });
  }

  async answer(request: ChildRequest): Promise<unknown> {
    this.local.restarts = request.restarts;
    if (request.what === 'snapshot') return this.local.snapshot();
    if (request.what === 'lookup') return this.local.lookup(request.query ?? '');
    return this.metricsEnabled && this.metrics !== null ? this.metrics.json() : [];
  }
}
