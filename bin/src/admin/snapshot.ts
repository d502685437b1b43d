import type { ClientDescription, GatewaySnapshot } from '@gateworker/gateway';
import type { RegisterSnapshot } from '@gateworker/register';
import type { WorkerSnapshot } from '@gateworker/worker';
import type { ConfigManagerStatus } from '../config/manager.js';

/**
 * What one process reports about itself: the common shape behind `/metrics`, `/readyz`, the
 * topology page and `gateworker status`. Plain JSON, so children send it to the supervisor over IPC.
 */

export type ProcessRole = 'supervisor' | 'register' | 'gateway' | 'worker';

export interface ProcessInfo {
  pid: number;
  uptimeMs: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** CPU time (user + system) over the last sampling period, as % of one core. */
  cpuPercent: number;
  /** Times the supervisor restarted this slot after a crash (0 outside `start`). */
  restarts: number;
}

export interface Readiness {
  ready: boolean;
  /** What is missing, in words an operator acts on; empty when ready. */
  missing: string[];
}

/** One sample of an extra source (a bus bridge…): a counter or gauge, optionally labelled. */
export interface Sample {
  metric: string;
  help: string;
  type: 'counter' | 'gauge';
  value: number;
  labels?: Record<string, string>;
}

export interface ProcessSnapshot {
  role: ProcessRole;
  index: number;
  process: ProcessInfo;
  readiness: Readiness;
  register?: RegisterSnapshot;
  gateway?: GatewaySnapshot;
  worker?: WorkerSnapshot;
  /** Only the supervisor's own snapshot. */
  supervisor?: SupervisorCounters;
  /** The layered configuration's state where it is watched (the supervisor, a standalone role). */
  configCentre?: ConfigManagerStatus;
  /** Samples from the process's extra sources, by source name (see SnapshotSources). */
  samples: Sample[];
}

/** The supervisor's own counters. */
export interface SupervisorCounters {
  reloadsOk: number;
  reloadsFailed: number;
}

/** The whole tree at one moment: what `start` (or a single-role process) reports. */
export interface TreeSnapshot {
  /** Wall-clock time of the snapshot, ms since the epoch. */
  at: number;
  /** The config file the cluster runs (null: built-in default). */
  config: string | null;
  processes: ProcessSnapshot[];
  /** Supervised positions that gave no snapshot (no process, or no answer in time). */
  silent: { role: ProcessRole; index: number; why: string }[];
  readiness: Readiness;
}

export type { ClientDescription };

/**
 * Extra snapshot sources of one process, by name: a component that wants its counters on
 * `/metrics` (a bus bridge, a config watcher) adds a function returning samples; the admin module
 * turns them into Prometheus series labelled with the process's role and index. Called at scrape
 * time and for status only: never on a hot path.
 */
export class SnapshotSources {
  private readonly sources = new Map<string, () => Sample[]>();

  add(name: string, source: () => Sample[]): void {
    this.sources.set(name, source);
  }

  remove(name: string): void {
    this.sources.delete(name);
  }

  samples(): Sample[] {
    const out: Sample[] = [];
    for (const source of this.sources.values()) out.push(...source());
    return out;
  }
}
