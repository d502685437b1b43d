import type { Config } from '../config/schema.js';

/**
 * What a reload can apply and what it cannot. A reload replaces worker processes only, so the
 * `worker` section applies in full (processes, handler, timeouts, registers); every other key is
 * held by processes a reload does not replace (the register, the gateways with their sockets, the
 * secret every link was authenticated with) and needs a restart of the cluster.
 */

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Keys of the worker section that gateways read: a reload cannot apply them. */
const GATEWAY_READ_WORKER_KEYS = ['maxDeliveries', 'poisonPolicy'] as const;

/** Keys that differ between the running config and `next` and that a reload cannot apply, dotted (`gateway.listen`). */
export function unappliableChanges(running: Config, next: Config): string[] {
  const out: string[] = [];
  const keys = new Set([...Object.keys(running), ...Object.keys(next)]);
  for (const key of [...keys].sort()) {
    if (key === 'worker') {
      // Read by the gateways (they count worker deaths per event), which a reload does not replace.
      for (const k of GATEWAY_READ_WORKER_KEYS) {
        if (!same(running.worker?.[k], next.worker?.[k])) out.push(`worker.${k}`);
      }
      continue;
    }
    const a = (running as Record<string, unknown>)[key];
    const b = (next as Record<string, unknown>)[key];
    if (same(a, b)) continue;
    const isSection = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
    if (isSection(a) && isSection(b)) {
      const sub = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
      for (const k of [...sub].sort()) {
        if (!same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) out.push(`${key}.${k}`);
      }
    } else {
      out.push(key);
    }
  }
  if (running.worker !== undefined && next.worker === undefined) out.push('worker (removed)');
  return out;
}

/** The config the cluster runs after a reload: the running one with `next`'s worker section. */
export function appliedConfig(running: Config, next: Config): Config {
  if (next.worker === undefined) return running;
  const worker = { ...next.worker };
  // The gateways keep what they started with.
  if (running.worker !== undefined) for (const k of GATEWAY_READ_WORKER_KEYS) (worker as Record<string, unknown>)[k] = running.worker[k];
  return { ...running, worker };
}
