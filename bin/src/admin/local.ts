import type { RoleHandle } from '../roles/run.js';
import { ProcessSampler } from './process-info.js';
import { notReady, readinessOf } from './readiness.js';
import { SnapshotSources, type ClientDescription, type ProcessRole, type ProcessSnapshot } from './snapshot.js';

/**
 * This process as the admin module sees it: its role object (once started), its extra snapshot
 * sources and its CPU sampler. `snapshot()` reads plain fields only: no I/O, no await.
 */
export class LocalProcess {
  readonly sources = new SnapshotSources();
  private readonly sampler = new ProcessSampler().start();
  private handle: RoleHandle | null = null;
  /** Set by the supervisor's requests: restarts of this process's slot. */
  restarts = 0;

  constructor(
    readonly role: Exclude<ProcessRole, 'supervisor'>,
    readonly index: number,
  ) {}

  /** The role is up: snapshots include it from now on. */
  attach(handle: RoleHandle): void {
    this.handle = handle;
    for (const [name, source] of Object.entries(handle.sources ?? {})) this.sources.add(name, source);
  }

  snapshot(): ProcessSnapshot {
    const parts = this.handle?.parts ?? {};
    const roles = {
      ...(parts.register !== undefined && { register: parts.register.snapshot() }),
      ...(parts.gateway !== undefined && { gateway: parts.gateway.snapshot() }),
      ...(parts.worker !== undefined && { worker: parts.worker.snapshot() }),
    };
    return {
      role: this.role,
      index: this.index,
      process: this.sampler.info(this.restarts),
      readiness: this.handle === null ? notReady(`${this.role} ${this.index}: starting`) : readinessOf(roles),
      ...roles,
      samples: this.sources.samples(),
    };
  }

  /** Clients of this process's gateway matching a client id or uid (none for other roles). */
  lookup(query: string): ClientDescription[] {
    return this.handle?.parts.gateway?.describeClients(query) ?? [];
  }

  close(): void {
    this.sampler.close();
  }
}
