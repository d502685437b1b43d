import { createBackend, type DiscoveryBackend } from '@gateworker/discovery';
import type { GatewayInfo } from '@gateworker/protocol';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { discoveryOptionsOf } from '../roles/discovery.js';
import type { ChildMessage, SupervisorMessage } from './ipc.js';

/** A supervised process the relay talks to. */
export interface RelayChild {
  send(message: SupervisorMessage): void;
}

/**
 * One watcher per machine: under `gateworker start` with `discovery:`, the supervisor holds the
 * only etcd / ZooKeeper session of the tree. Gateway children hand it their records over IPC and
 * it publishes them (under its one lease / session); every child gets the gateway list over IPC,
 * whole, on each change. When a child exits, its records are withdrawn at once.
 */
export class DiscoveryRelay {
  readonly backend: DiscoveryBackend;
  private readonly children = new Set<RelayChild>();
  /** Which child published which records, to withdraw them when it exits. */
  private readonly recordsOf = new Map<RelayChild, Set<string>>();

  constructor(config: Config, logger: Logger) {
    const options = discoveryOptionsOf(config, logger);
    if (options === null) throw new Error('the config has no discovery section');
    this.backend = createBackend(options);
    const broadcast = (): void => this.broadcast();
    this.backend.on('gateway-up', broadcast);
    this.backend.on('gateway-update', broadcast);
    this.backend.on('gateway-down', broadcast);
    this.backend.on('connected', broadcast);
  }

  start(): void {
    this.backend.start();
  }

  /** Follows a new child: once it subscribes, it gets the list (if known) and then every change. */
  attach(child: RelayChild): void {
    this.children.add(child);
  }

  /** A message from a child: true if it was a discovery message (handled here). */
  onMessage(child: RelayChild, message: ChildMessage): boolean {
    if (message.type === 'discovery-subscribe') {
      if (this.listKnown()) child.send(this.view());
      return true;
    }
    if (message.type === 'discovery-publish') {
      let ids = this.recordsOf.get(child);
      if (ids === undefined) this.recordsOf.set(child, (ids = new Set()));
      ids.add(message.info.gatewayId);
      this.backend.publish(message.info);
      return true;
    }
    if (message.type === 'discovery-unpublish') {
      this.recordsOf.get(child)?.delete(message.gatewayId);
      this.backend.unpublish(message.gatewayId);
      return true;
    }
    return false;
  }

  /** The child exited: its records go now rather than at the lease's / session's expiry. */
  detach(child: RelayChild): void {
    this.children.delete(child);
    for (const id of this.recordsOf.get(child) ?? []) this.backend.unpublish(id);
    this.recordsOf.delete(child);
  }

  close(): Promise<void> {
    this.children.clear();
    return this.backend.close();
  }

  private listKnown(): boolean {
    return this.backend.hasList;
  }

  private view(): SupervisorMessage {
    return { type: 'discovery-view', gateways: [...this.backend.gateways().values()] as GatewayInfo[] };
  }

  private broadcast(): void {
    const message = this.view();
    for (const child of this.children) child.send(message);
  }
}
