import { EventEmitter } from 'node:events';
import type { GatewayInfo, WorkerInfo } from '@gateworker/protocol';

/**
 * Where the live gateway list comes from. Normally a RegisterClient from @gateworker/register
 * (which has exactly this shape); a StaticGatewayDirectory serves tests and static deployments;
 * other discovery backends (etcd, ZooKeeper) implement the same interface.
 *
 * Semantics: a directory is ADVISORY. It says which gateways to dial; it never decides that a
 * gateway is dead. The worker / GatewayClient side (GatewayLinks) follows these rules:
 * - `gateway-up` (or a gateway appearing in `gateways()`): dial it, and keep re-dialling forever
 *   (backoff with jitter) while it is listed.
 * - `gateway-down` (or a gateway missing from `gateways()`): a healthy link to it is KEPT; it is
 *   given up only once its link is dead (heartbeat, close) AND no directory lists it.
 * - A gateway id names one gateway process: a restarted gateway has a new id. The handshake checks
 *   that the gateway answering at `address` has the id that was listed.
 * What an implementation must do:
 * - Never emit `gateway-down` because the backend became unreachable: when the backend is lost,
 *   keep serving the last known list (RegisterClient keeps its view when every register is gone)
 *   and emit changes only from what the backend actually says once it is back.
 * - `ready()` rejects at once when the backend refused us for a reason retrying cannot fix
 *   (authentication, another cluster), so a misconfigured process fails fast; otherwise it
 *   rejects after `timeoutMs` and the directory keeps trying.
 */
export interface GatewayDirectory {
  start(): void;
  /** Resolves once the list is known (the register answered); rejects after `timeoutMs`. */
  ready(timeoutMs: number): Promise<void>;
  /** The current (or last known) list, keyed by gateway id. */
  gateways(): ReadonlyMap<string, GatewayInfo>;
  on(event: 'gateway-up', listener: (info: GatewayInfo) => void): unknown;
  on(event: 'gateway-down', listener: (gatewayId: string) => void): unknown;
  off?(event: 'gateway-up', listener: (info: GatewayInfo) => void): unknown;
  off?(event: 'gateway-down', listener: (gatewayId: string) => void): unknown;
  /** Pushes this worker's state to the register (workers only). */
  updateWorker?(info: WorkerInfo): void;
  close(): Promise<void>;
}

/** A gateway known by id and address only (static lists). */
export interface StaticGateway {
  gatewayId: string;
  /** host:port of the gateway's internal (worker) listener. */
  address: string;
}

function infoOf(g: StaticGateway | GatewayInfo): GatewayInfo {
  if ('stats' in g) return g;
  return {
    gatewayId: g.gatewayId,
    nodeId: '',
    address: g.address,
    processIndex: 0,
    pid: 0,
    stats: { clients: 0, uids: 0, groups: 0, workers: 0, pending: 0 },
  };
}

/**
 * A fixed gateway list, for tests and deployments without a register. `add` and `remove` emit
 * `gateway-up` / `gateway-down` like a register would.
 */
export class StaticGatewayDirectory extends EventEmitter implements GatewayDirectory {
  private readonly list = new Map<string, GatewayInfo>();

  constructor(gateways: ReadonlyArray<StaticGateway | GatewayInfo> = []) {
    super();
    for (const g of gateways) this.list.set(g.gatewayId, infoOf(g));
  }

  start(): void {}

  ready(): Promise<void> {
    return Promise.resolve();
  }

  gateways(): ReadonlyMap<string, GatewayInfo> {
    return this.list;
  }

  add(gateway: StaticGateway | GatewayInfo): void {
    const info = infoOf(gateway);
    this.list.set(info.gatewayId, info);
    this.emit('gateway-up', info);
  }

  remove(gatewayId: string): void {
    if (this.list.delete(gatewayId)) this.emit('gateway-down', gatewayId);
  }

  /** The last WorkerInfo pushed (for tests). */
  lastWorkerInfo: WorkerInfo | null = null;

  updateWorker(info: WorkerInfo): void {
    this.lastWorkerInfo = info;
  }

  close(): Promise<void> {
    this.removeAllListeners();
    return Promise.resolve();
  }
}
