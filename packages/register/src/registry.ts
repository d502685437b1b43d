import type { GatewayInfo, GatewayStats, WorkerInfo } from '@gateworker/protocol';

/**
 * The register's state: which gateways and workers are alive, and who listens for changes.
 * Pure: no sockets, no timers. Every entry is owned by an opaque `K` (the server uses one key per
 * link); removing an owner removes what it announced. The server turns the results into messages.
 *
 * Invariants: an owner announces at most one gateway and reports at most one worker; a gatewayId
 * or workerId has exactly one owner, the newest link of the same process ("newest link wins").
 */

export type AnnounceResult<K> =
  /** A gateway not known before. */
  | { kind: 'up'; gateway: GatewayInfo }
  /**
   * A known gateway announced again, on the same link or on a newer link of the same process.
   * `changed`: fields other than stats differ (subscribers must hear about it). `replaced`: the
   * previous owner, when the newer link took the gateway over (the server may close that link).
   */
  | { kind: 'update'; gateway: GatewayInfo; changed: boolean; replaced: K | null }
  /** Refused: `reason` says why; nothing changed. */
  | { kind: 'rejected'; reason: string };

export interface RemoveResult {
  /** Gateways that were owned by the removed owner: subscribers must be told GatewayDown. */
  gatewaysDown: string[];
  /** Workers that were reported by the removed owner. */
  workersGone: string[];
}

interface Owned<T, K> {
  info: T;
  owner: K;
}

function copyGateway(g: GatewayInfo): GatewayInfo {
  return { ...g, stats: { ...g.stats } };
}

/** Same gateway process: reconnects keep node, pid and process index. */
function sameProcess(a: GatewayInfo, b: GatewayInfo): boolean {
  return a.nodeId === b.nodeId && a.pid === b.pid && a.processIndex === b.processIndex;
}

function sameIdentity(a: GatewayInfo, b: GatewayInfo): boolean {
  return sameProcess(a, b) && a.address === b.address;
}

export class Registry<K> {
  /** gatewayId → announced info (stats kept current by GatewayStats) and owning link. */
  private readonly gateways = new Map<string, Owned<GatewayInfo, K>>();
  /** workerId → last reported info and owning link. */
  private readonly workers = new Map<string, Owned<WorkerInfo, K>>();
  /** owner → the gatewayId it announced. */
  private readonly gatewayByOwner = new Map<K, string>();
  /** owner → the workerId it reported. */
  private readonly workerByOwner = new Map<K, string>();
  /** Owners that subscribed to the gateway list (workers and clients), in subscription order. */
  private readonly subscriberSet = new Set<K>();

  get gatewayCount(): number {
    return this.gateways.size;
  }

  get workerCount(): number {
    return this.workers.size;
  }

  announce(owner: K, info: GatewayInfo): AnnounceResult<K> {
    const own = this.gatewayByOwner.get(owner);
    if (own !== undefined && own !== info.gatewayId) {
      return { kind: 'rejected', reason: `this link already announced gateway ${own}, not ${info.gatewayId}` };
    }
    const existing = this.gateways.get(info.gatewayId);
    if (existing === undefined) {
      this.gateways.set(info.gatewayId, { info: copyGateway(info), owner });
      this.gatewayByOwner.set(owner, info.gatewayId);
      return { kind: 'up', gateway: copyGateway(info) };
    }
    if (existing.owner !== owner && !sameProcess(existing.info, info)) {
      const { nodeId, pid } = existing.info;
      return { kind: 'rejected', reason: `gateway id ${info.gatewayId} is already announced by another process (node ${nodeId}, pid ${pid})` };
    }
    const changed = !sameIdentity(existing.info, info);
    const replaced = existing.owner === owner ? null : existing.owner;
    if (replaced !== null) this.gatewayByOwner.delete(replaced);
    existing.info = copyGateway(info);
    existing.owner = owner;
    this.gatewayByOwner.set(owner, info.gatewayId);
    return { kind: 'update', gateway: copyGateway(info), changed, replaced };
  }

  /** Records live stats of the gateway `owner` announced. False when it announced none. */
  updateGatewayStats(owner: K, stats: GatewayStats): boolean {
    const id = this.gatewayByOwner.get(owner);
    const entry = id === undefined ? undefined : this.gateways.get(id);
    if (entry === undefined) return false;
    entry.info.stats = { ...stats };
    return true;
  }

  /** Adds `owner` to the subscribers; a non-null `worker` is recorded as by `reportWorker`. */
  subscribe(owner: K, worker: WorkerInfo | null): { replaced: K | null } {
    this.subscriberSet.add(owner);
    return worker === null ? { replaced: null } : this.reportWorker(owner, worker);
  }

  /**
   * Records a worker's state. A worker id reported by a newer link takes it over (`replaced` is
   * the previous owner); an owner that reports a different worker id drops its previous one.
   */
  reportWorker(owner: K, info: WorkerInfo): { replaced: K | null } {
    const own = this.workerByOwner.get(owner);
    if (own !== undefined && own !== info.workerId) this.workers.delete(own);
    const existing = this.workers.get(info.workerId);
    const replaced = existing !== undefined && existing.owner !== owner ? existing.owner : null;
    if (replaced !== null) this.workerByOwner.delete(replaced);
    this.workers.set(info.workerId, { info: { ...info }, owner });
    this.workerByOwner.set(owner, info.workerId);
    return { replaced };
  }

  isSubscriber(owner: K): boolean {
    return this.subscriberSet.has(owner);
  }

  subscribers(): IterableIterator<K> {
    return this.subscriberSet.values();
  }

  /** Forgets everything `owner` announced, reported or subscribed to. */
  remove(owner: K): RemoveResult {
    const result: RemoveResult = { gatewaysDown: [], workersGone: [] };
    this.subscriberSet.delete(owner);
    const gatewayId = this.gatewayByOwner.get(owner);
    if (gatewayId !== undefined) {
      this.gatewayByOwner.delete(owner);
      if (this.gateways.get(gatewayId)?.owner === owner) {
        this.gateways.delete(gatewayId);
        result.gatewaysDown.push(gatewayId);
      }
    }
    const workerId = this.workerByOwner.get(owner);
    if (workerId !== undefined) {
      this.workerByOwner.delete(owner);
      if (this.workers.get(workerId)?.owner === owner) {
        this.workers.delete(workerId);
        result.workersGone.push(workerId);
      }
    }
    return result;
  }

  gatewayList(): GatewayInfo[] {
    return [...this.gateways.values()].map((g) => copyGateway(g.info));
  }

  workerList(): WorkerInfo[] {
    return [...this.workers.values()].map((w) => ({ ...w.info }));
  }

  snapshot(): { gateways: GatewayInfo[]; workers: WorkerInfo[] } {
    return { gateways: this.gatewayList(), workers: this.workerList() };
  }
}
