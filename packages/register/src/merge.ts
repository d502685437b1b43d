import type { ClusterStatus, GatewayInfo, WorkerInfo } from '@gateworker/protocol';

/**
 * Merging what several registers say. Pure: no sockets, no timers.
 *
 * `GatewayView` keeps, per source (one register link), the gateways that source knows, and the
 * merged view: a gateway is in it while ANY source knows it. Every mutation returns the changes of
 * the merged view only, which the client turns into events.
 */

export type ViewChange = { kind: 'up'; gateway: GatewayInfo } | { kind: 'update'; gateway: GatewayInfo } | { kind: 'down'; gatewayId: string };

/** Fields whose change is worth an event; stats change all the time and are not. */
function sameIdentity(a: GatewayInfo, b: GatewayInfo): boolean {
  return a.address === b.address && a.nodeId === b.nodeId && a.pid === b.pid && a.processIndex === b.processIndex;
}

export class GatewayView<S> {
  /** source → gatewayId → what that source last said about it. */
  private readonly bySource = new Map<S, Map<string, GatewayInfo>>();
  /** gatewayId → the info in the merged view (the freshest received). */
  private readonly merged = new Map<string, GatewayInfo>();

  /** The merged view. Live: it changes as messages arrive; do not mutate. */
  get gateways(): ReadonlyMap<string, GatewayInfo> {
    return this.merged;
  }

  /** `source` sent its full list (GatewayList): it replaces what that source knew. */
  replace(source: S, list: readonly GatewayInfo[]): ViewChange[] {
    const before = this.bySource.get(source) ?? new Map<string, GatewayInfo>();
    const after = new Map(list.map((g) => [g.gatewayId, g]));
    this.bySource.set(source, after);
    const changes: ViewChange[] = [];
    for (const id of before.keys()) if (!after.has(id)) this.settle(id, null, changes);
    for (const g of after.values()) this.settle(g.gatewayId, g, changes);
    return changes;
  }

  up(source: S, gateway: GatewayInfo): ViewChange[] {
    let known = this.bySource.get(source);
    if (known === undefined) this.bySource.set(source, (known = new Map<string, GatewayInfo>()));
    known.set(gateway.gatewayId, gateway);
    return this.settle(gateway.gatewayId, gateway, []);
  }

  down(source: S, gatewayId: string): ViewChange[] {
    if (this.bySource.get(source)?.delete(gatewayId) !== true) return [];
    return this.settle(gatewayId, null, []);
  }

  /** `source` is gone (register link lost): what only it knew is down. */
  dropSource(source: S): ViewChange[] {
    const known = this.bySource.get(source);
    this.bySource.delete(source);
    const changes: ViewChange[] = [];
    if (known !== undefined) for (const id of known.keys()) this.settle(id, null, changes);
    return changes;
  }

  /** Recomputes one gateway of the merged view; `fresh` is info just received about it, if any. */
  private settle(gatewayId: string, fresh: GatewayInfo | null, changes: ViewChange[]): ViewChange[] {
    let candidate = fresh;
    if (candidate === null) {
      for (const known of this.bySource.values()) {
        candidate = known.get(gatewayId) ?? null;
        if (candidate !== null) break;
      }
    }
    const current = this.merged.get(gatewayId);
    if (candidate === null) {
      if (current !== undefined) {
        this.merged.delete(gatewayId);
        changes.push({ kind: 'down', gatewayId });
      }
      return changes;
    }
    this.merged.set(gatewayId, candidate);
    if (current === undefined) changes.push({ kind: 'up', gateway: candidate });
    else if (!sameIdentity(current, candidate)) changes.push({ kind: 'update', gateway: candidate });
    return changes;
  }
}

/** One register's part in a merged status. */
export interface RegisterStatusEntry {
  /** The register address as configured. */
  address: string;
  /** What the register said about itself; null when it did not answer. */
  register: ClusterStatus['register'] | null;
  /** Why it did not answer ("code: message"); null when it did. */
  error: string | null;
}

/**
 * The status of a cluster as seen through several registers: gateways and workers are the union
 * (by gatewayId / workerId; the first answering register's entry wins), `register` is the first
 * register that answered, `registers` lists every configured register and whether it answered.
 */
export interface MergedClusterStatus extends ClusterStatus {
  registers: RegisterStatusEntry[];
}

/** Merges answers (at least one) in register order; `missing` are registers that did not answer. */
export function mergeStatus(
  answers: ReadonlyArray<{ address: string; status: ClusterStatus }>,
  missing: ReadonlyArray<{ address: string; error: string }>,
): MergedClusterStatus {
  const first = answers[0];
  if (first === undefined) throw new RangeError('mergeStatus needs at least one answer');
  const gateways = new Map<string, GatewayInfo>();
  const workers = new Map<string, WorkerInfo>();
  for (const { status } of answers) {
    for (const g of status.gateways) if (!gateways.has(g.gatewayId)) gateways.set(g.gatewayId, g);
    for (const w of status.workers) if (!workers.has(w.workerId)) workers.set(w.workerId, w);
  }
  return {
    register: first.status.register,
    gateways: [...gateways.values()],
    workers: [...workers.values()],
    registers: [
      ...answers.map(({ address, status }) => ({ address, register: status.register, error: null })),
      ...missing.map(({ address, error }) => ({ address, register: null, error })),
    ],
  };
}
