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
    metricsEnabled: boolean,
  ) {
    if (metricsEnabled) this.metrics = new ProcessMetrics(() => local.snapshot(), { role: local.role, index: local.index });
  }

  async answer(request: ChildRequest): Promise<unknown> {
    this.local.restarts = request.restarts;
    if (request.what === 'snapshot') return this.local.snapshot();
    if (request.what === 'lookup') return this.local.lookup(request.query ?? '');
    // Metrics carry the readiness too, so a scrape is one request per child.
    if (this.metrics === null) return { readiness: this.local.snapshot().readiness, metrics: [] };
    const metrics = await this.metrics.json();
    return { readiness: this.metrics.lastSnapshot?.readiness, metrics };
  }
}
