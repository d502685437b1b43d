import type { ClientDescription, ProcessSnapshot, Readiness, TreeSnapshot } from './snapshot.js';

/** What the admin endpoints and `status` read: one process, or the whole tree of `start`. */
export interface AdminBackend {
  /** Every process's snapshot, fresh (taken now), with the tree's readiness. */
  tree(): Promise<TreeSnapshot>;
  /** The Prometheus text exposition (null when metrics are not built in this process). */
  metrics(): Promise<string>;
  readonly metricsContentType: string;
  /** Clients matching a client id or uid, over every gateway of the tree. */
  lookup(query: string): Promise<ClientDescription[]>;
}

/** Tree readiness: every process ready and every supervised position answering. */
export function treeReadiness(processes: ProcessSnapshot[], silent: TreeSnapshot['silent']): Readiness {
  const missing = [...silent.map((s) => `${s.role} ${s.index}: ${s.why}`), ...processes.flatMap((p) => p.readiness.missing)];
  return { ready: missing.length === 0 && processes.every((p) => p.readiness.ready), missing };
}
