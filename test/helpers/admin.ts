import type { Cluster } from './cluster.js';

/** One series of a Prometheus text exposition. */
export interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the text exposition format (what prom-client writes: no timestamps, escaped label values). */
export function parseExposition(text: string): Series[] {
  const out: Series[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    out.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return out;
}

/** Sum of the series named `name` whose labels include `match`. */
export function sum(series: Series[], name: string, match: Record<string, string> = {}): number {
  return series.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);
}

/** The admin endpoint's base URL, from the supervisor's "admin endpoint listening" log line. */
export async function adminUrlOf(cluster: Cluster): Promise<string> {
  const line = await cluster.waitForLog((l) => l.msg === 'admin endpoint listening');
  return line['admin'] as string;
}

export async function scrape(base: string, headers: Record<string, string> = {}): Promise<Series[]> {
  const res = await fetch(new URL('metrics', base), { headers });
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return parseExposition(await res.text());
}

/** The supervised children's pids by role, from the "cluster ready" log line. */
export function childPids(cluster: Cluster, role: string): number[] {
  const ready = cluster.logs.find((l) => l.msg === 'cluster ready');
  return ((ready?.['children'] as { role: string; pid: number }[] | undefined) ?? []).filter((c) => c.role === role).map((c) => c.pid);
}
