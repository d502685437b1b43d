import { EventEmitter } from 'node:events';
import type { GatewayInfo, WorkerInfo } from '@gateworker/protocol';

/**
 * Where the live gateway list comes from. Normally a RegisterClient from @gateworker/register
 * (which has exactly this shape); a StaticGatewayDirectory serves tests and static deployments.
 */
export interface GatewayDirectory {
  start(): void;
  /** Resolves once the list is known (the register answered); rejects after `timeoutMs`. */
  ready(timeoutMs: number): Promise<void>;
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
