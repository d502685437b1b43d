import type { ConfigManagerStatus } from '../config/manager.js';
import { configSamples } from '../config/samples.js';
import type { GatherResult, Supervisor } from '../supervisor/supervisor.js';
import { treeReadiness, type AdminBackend } from './backend.js';
import { mergeExpositions, ProcessMetrics, type MetricJson } from './metrics.js';
import { ProcessSampler } from './process-info.js';
import type { ClientDescription, ProcessSnapshot, Readiness, TreeSnapshot } from './snapshot.js';

/**
 * How long a child has to answer a snapshot or metrics request, in ms: below a second, so what
 * status and the page show is never older than that, and a stopped (SIGSTOP) child shows as
 * silent rather than stalling the scrape.
 */
export const DEFAULT_CHILD_ANSWER_TIMEOUT_MS = 800;

/** `gateworker start`: one admin endpoint for the whole tree, fed by the children over IPC. */
export class SupervisorBackend implements AdminBackend {
  private readonly sampler = new ProcessSampler().start();
  /** The supervisor's own registry (default metrics, reloads); null when admin is off (status only). */
  private readonly own: ProcessMetrics | null;
  /** The tree's readiness as of the last gather (the supervisor's own gateworker_ready). */
  private lastReadiness: Readiness = { ready: false, missing: ['not asked yet'] };

  constructor(
    private readonly supervisor: Supervisor,
    private readonly configFile: string | null,
    withMetrics: boolean,
    private readonly answerTimeoutMs: number = DEFAULT_CHILD_ANSWER_TIMEOUT_MS,
  ) {
    this.own = withMetrics ? new ProcessMetrics(() => this.ownSnapshot(), { role: 'supervisor', index: 0 }) : null;
  }

  get metricsContentType(): string {
    return this.own?.contentType ?? 'text/plain; charset=utf-8';
  }

  close(): void {
    this.sampler.close();
  }

  /** The config manager's state, shown in status and as metrics (set by `start` when it runs one). */
  configStatus: (() => ConfigManagerStatus) | null = null;

  ownSnapshot(): ProcessSnapshot {
    const config = this.configStatus?.();
    return {
      role: 'supervisor',
      index: 0,
      process: this.sampler.info(),
      readiness: this.lastReadiness,
      supervisor: { reloadsOk: this.supervisor.reloads.ok, reloadsFailed: this.supervisor.reloads.failed },
      ...(config !== undefined && { configCentre: config }),
      samples: config === undefined ? [] : configSamples(config),
    };
  }

  async tree(): Promise<TreeSnapshot> {
    const answers = await this.supervisor.gather('snapshot', this.answerTimeoutMs);
    const processes = answers.filter((a) => a.result !== undefined).map((a) => a.result as ProcessSnapshot);
    const silent = silentOf(answers);
    this.lastReadiness = treeReadiness(processes, silent);
    return { at: Date.now(), config: this.configFile, processes: [this.ownSnapshot(), ...processes], silent, readiness: this.lastReadiness };
  }

  async metrics(): Promise<string> {
    if (this.own === null) throw new Error('metrics are off (no admin section in the config)');
    const answers = await this.supervisor.gather('metrics', this.answerTimeoutMs);
    const metrics = answers.map((a) => ({ ...a, reply: a.result as ChildMetrics | undefined }));
    const readiness = metrics.flatMap((m) => (m.reply?.readiness === undefined ? [] : [m.reply.readiness]));
    const silent = silentOf(answers);
    this.lastReadiness = {
      ready: silent.length === 0 && readiness.every((r) => r.ready),
      missing: [...silent.map((s) => `${s.role} ${s.index}: ${s.why}`), ...readiness.flatMap((r) => r.missing)],
    };
    const parts: MetricJson[][] = [await this.own.json()];
    for (const m of metrics) if (m.reply !== undefined) parts.push(m.reply.metrics);
    // Positions that gave nothing still show, as gateworker_up 0.
    const down = metrics.filter((m) => m.reply === undefined);
    if (down.length > 0) {
      parts.push([
        {
          name: 'gateworker_up',
          help: 'The process answered this scrape (1); the supervisor reports 0 for a position with no process or no answer',
          type: 'gauge',
          aggregator: 'sum',
          values: down.map((d) => ({ value: 0, labels: { role: d.role, index: String(d.index) } })),
        },
      ]);
    }
    return mergeExpositions(parts);
  }

  async lookup(query: string): Promise<ClientDescription[]> {
    const answers = await this.supervisor.gather('lookup', this.answerTimeoutMs, query);
    return answers.flatMap((a) => (Array.isArray(a.result) ? (a.result as ClientDescription[]) : []));
  }
}

/** A child's answer to a metrics request. */
interface ChildMetrics {
  readiness?: Readiness;
  metrics: MetricJson[];
}

function silentOf(answers: GatherResult[]): TreeSnapshot['silent'] {
  return answers.filter((a) => a.result === undefined).map((a) => ({ role: a.role, index: a.index, why: a.error ?? 'no answer' }));
}
