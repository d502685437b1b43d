import type { AdminBackend } from './backend.js';
import type { LocalProcess } from './local.js';
import { ProcessMetrics } from './metrics.js';
import type { ClientDescription, TreeSnapshot } from './snapshot.js';

/** A single-role process (`gateworker gateway|worker|register`) serving its own admin endpoint. */
export class LocalBackend implements AdminBackend {
  private readonly metricsRegistry: ProcessMetrics;

  constructor(
    private readonly local: LocalProcess,
    private readonly configFile: string | null,
  ) {
    this.metricsRegistry = new ProcessMetrics(() => local.snapshot(), { role: local.role, index: local.index });
  }

  get metricsContentType(): string {
    return this.metricsRegistry.contentType;
  }

  tree(): Promise<TreeSnapshot> {
    const snapshot = this.local.snapshot();
    return Promise.resolve({ at: Date.now(), config: this.configFile, processes: [snapshot], silent: [], readiness: snapshot.readiness });
  }

  metrics(): Promise<string> {
    return this.metricsRegistry.text();
  }

  lookup(query: string): Promise<ClientDescription[]> {
    return Promise.resolve(this.local.lookup(query));
  }
}
