import { createRequire } from 'node:module';
import { AggregatorRegistry, Registry } from 'prom-client';
import { extraGatewayFamilies, FAMILIES, type Family, type SeriesValue } from './families.js';
import type { ProcessSnapshot, Sample } from './snapshot.js';

/** prom-client's JSON form of one metric (what getMetricsAsJSON returns and aggregate takes). */
export interface MetricJson {
  name: string;
  help: string;
  type: string;
  aggregator: string;
  values: SeriesValue[];
}

/** A metric prom-client's Registry accepts: it only reads name, help, type, aggregator and get(). */
interface CustomMetric {
  name: string;
  help: string;
  type: string;
  aggregator: 'sum';
  get(): Promise<MetricJson>;
}

function samplesFamily(name: string, first: Sample): Family {
  return {
    name,
    help: first.help,
    type: first.type,
    values: (s) => s.samples.filter((x) => x.metric === name).map((x) => ({ value: x.value, labels: { ...x.labels } })),
  };
}

/**
 * One process's Prometheus registry: prom-client's default process and Node metrics plus the
 * gateworker families, computed from one snapshot taken per scrape (nothing is counted through
 * prom-client on the hot path). Every series carries `role` and `index`.
 */
export class ProcessMetrics {
  readonly registry = new Registry();
  private current: ProcessSnapshot | null = null;
  private readonly registered = new Set<string>();

  constructor(
    private readonly take: () => ProcessSnapshot,
    labels: { role: string; index: number },
  ) {
    this.registry.setDefaultLabels({ role: labels.role, index: String(labels.index) });
    collectProcessMetrics(this.registry);
    for (const family of FAMILIES) this.add(family);
  }

  /** prom-client's JSON form, for the supervisor to merge. */
  async json(): Promise<MetricJson[]> {
    this.refresh();
    return (await this.registry.getMetricsAsJSON()) as unknown as MetricJson[];
  }

  /** The Prometheus text exposition. */
  async text(): Promise<string> {
    this.refresh();
    return this.registry.metrics();
  }

  /** The snapshot the last scrape was computed from. */
  get lastSnapshot(): ProcessSnapshot | null {
    return this.current;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Takes this scrape's snapshot and registers families that appeared since the last one. */
  private refresh(): void {
    const s = this.take();
    this.current = s;
    for (const family of extraGatewayFamilies(s)) this.add(family);
    for (const sample of s.samples) if (!this.registered.has(sample.metric)) this.add(samplesFamily(sample.metric, sample));
  }

  private add(family: Family): void {
    if (this.registered.has(family.name)) return;
    this.registered.add(family.name);
    const metric: CustomMetric = {
      name: family.name,
      help: family.help,
      type: family.type,
      aggregator: 'sum',
      get: () =>
        Promise.resolve({
          name: family.name,
          help: family.help,
          type: family.type,
          aggregator: 'sum' as const,
          values: this.current === null ? [] : family.values(this.current),
        }),
    };
    this.registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
  }
}

/**
 * prom-client's default collectors (its `lib/metrics/`, what collectDefaultMetrics registers) but
 * `gc`: its PerformanceObserver runs a callback and a labelled histogram update on every
 * garbage collection, and under echo load (hundreds of scavenges a second) that cost 14–55 % more
 * server CPU per round trip in `npm run bench metrics-overhead`; without it the cost is within noise.
 * The others read process state at scrape time, except eventLoopLag's delay monitor (a native timer).
 */
const DEFAULT_COLLECTORS = [
  'processCpuTotal',
  'processStartTime',
  'osMemoryHeap',
  'processOpenFileDescriptors',
  'processMaxFileDescriptors',
  'eventLoopLag',
  'processHandles',
  'processRequests',
  'processResources',
  'heapSizeAndUsed',
  'heapSpacesSizeAndUsed',
  'version',
];
const requireCjs = createRequire(import.meta.url);

function collectProcessMetrics(registry: Registry): void {
  const config = { register: registry, eventLoopMonitoringPrecision: 10 };
  for (const name of DEFAULT_COLLECTORS) {
    const collector = requireCjs(`prom-client/lib/metrics/${name}.js`) as (r: Registry, c: unknown) => void;
    collector(registry, config);
  }
}

/**
 * Merges the JSON of several processes (each series already labelled with its role and index)
 * into one exposition. prom-client's aggregate() groups by name and label set; as no two
 * processes share a label set, every series stays as it is ('sum' of one value).
 */
export async function mergeExpositions(parts: MetricJson[][]): Promise<string> {
  const all = parts.map((metrics) => metrics.map((m) => ({ ...m, aggregator: 'sum' })));
  return AggregatorRegistry.aggregate(all).metrics();
}
