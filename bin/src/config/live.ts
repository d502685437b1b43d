import type { Config } from './schema.js';

/**
 * Which config keys a running cluster applies without a restart, and who applies them. A key is
 * a dotted path; `[]` stands for any list index (`gateway.listen[0].maxConnections`). A pattern
 * covers every key below it. Anything not listed needs a restart: it is named in a warning and
 * not applied.
 */
export const LIVE_KEYS = {
  /** Every process: its logger's level. */
  everywhere: ['logLevel'],
  /** Gateway processes: client heartbeats and limits, send buffers, pending buffer, routing. */
  gateway: [
    'gateway.heartbeat',
    'gateway.listen[].maxConnections',
    'gateway.listen[].maxMessageSize',
    'gateway.listen[].maxConnectionsPerIp',
    'gateway.listen[].handshakeTimeout',
    'gateway.sendBuffer',
    'gateway.pendingEvents',
    'gateway.routing',
  ],
  /** Worker processes: the handlers' `worker.config` (onConfigChange). */
  worker: ['app'],
  /** The supervisor: a rolling reload (new workers start with the new handler, count and timeouts). */
  supervisor: ['worker.processes', 'worker.handler', 'worker.queryTimeout', 'worker.drainTimeout'],
} as const satisfies Record<string, readonly string[]>;

const ALL_LIVE: readonly string[] = Object.values(LIVE_KEYS).flat();

export interface ConfigDiff {
  /** Every changed leaf key, dotted, with list indexes (`gateway.listen[0].maxConnections`). */
  changed: string[];
  /** The changed keys the running cluster applies. */
  live: string[];
  /** The changed keys that need a restart (not applied). */
  restart: string[];
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One changed leaf between two config trees. */
export interface KeyChange {
  key: string;
  before: unknown;
  after: unknown;
}

/** Changed leaves between two config trees, dotted. A list whose length changed counts as the list itself. */
export function changedKeys(a: unknown, b: unknown, path = '', out: KeyChange[] = []): KeyChange[] {
  if (isMapping(a) && isMapping(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) changedKeys(a[key], b[key], path === '' ? key : `${path}.${key}`, out);
  } else if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((item, i) => changedKeys(item, b[i], `${path}[${i}]`, out));
  } else if (JSON.stringify(a) !== JSON.stringify(b)) {
    out.push({ key: path, before: a, after: b });
  }
  return out;
}

/** The pattern form of a key: list indexes become `[]`. */
function patternOf(key: string): string {
  return key.replace(/\[\d+\]/g, '[]');
}

/** Is `key` covered by one of the patterns (the pattern itself or a key below it)? */
export function coveredBy(key: string, patterns: readonly string[]): boolean {
  const p = patternOf(key);
  return patterns.some((pattern) => p === pattern || p.startsWith(pattern + '.') || p.startsWith(pattern + '['));
}

export function diffConfig(previous: Config, next: Config): ConfigDiff {
  const changed = changedKeys(previous, next).map((c) => c.key);
  return { changed, live: changed.filter((k) => coveredBy(k, ALL_LIVE)), restart: changed.filter((k) => !coveredBy(k, ALL_LIVE)) };
}

function parse(key: string): (string | number)[] {
  return key.split(/\.|(?=\[)/).map((part) => (part.startsWith('[') ? Number(part.slice(1, -1)) : part));
}

/**
 * The configuration to run with after a change: `previous` with only the live keys of `next`
 * applied (keys that need a restart keep their running value).
 */
export function applyLive(previous: Config, next: Config, live: readonly string[]): Config {
  const out = structuredClone(previous) as unknown as Record<string | number, unknown>;
  for (const key of live) {
    const parts = parse(key);
    let from: unknown = next;
    let into: Record<string | number, unknown> = out;
    for (const [i, part] of parts.entries()) {
      from = (from as Record<string | number, unknown> | undefined)?.[part];
      if (i === parts.length - 1) {
        if (from === undefined) delete into[part];
        else into[part] = structuredClone(from);
      } else {
        into[part] ??= typeof parts[i + 1] === 'number' ? [] : {};
        into = into[part] as Record<string | number, unknown>;
      }
    }
  }
  return out as unknown as Config;
}
