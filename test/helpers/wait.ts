import type { EventEmitter } from 'node:events';

/**
 * Waiting with a deadline, for every test in the tree (package tests import it as
 * '../../../test/helpers/wait.js'). One argument order everywhere: what is awaited (a promise, a
 * check, an emitter and its event with a filter), then the time limit in milliseconds, then a few
 * words naming it for the failure message. Await an event when there is one; poll (`eventually`)
 * only state that no event announces (counters, files, a status a query returns).
 */

/** The time limit when a call gives none, in milliseconds. */
export const DEFAULT_WAIT_MS = 5_000;
/** Pause between two checks of `eventually`, in milliseconds (0: every macrotask turn). */
export const DEFAULT_POLL_MS = 10;

/** What every helper here rejects with when the time is up. */
export class WaitTimeoutError extends Error {
  constructor(timeoutMs: number, what: string, last?: unknown) {
    super(`timed out after ${timeoutMs} ms waiting for ${what}${last === undefined ? '' : ` (last: ${describe(last)})`}`);
    this.name = 'WaitTimeoutError';
  }
}

function describe(value: unknown): string {
  return value instanceof Error ? value.message : String(value);
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)));
}

/** Settles as `promise` does, or rejects with a WaitTimeoutError once `timeoutMs` have passed. */
export function within<T>(promise: Promise<T>, timeoutMs = DEFAULT_WAIT_MS, what = 'a result'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WaitTimeoutError(timeoutMs, what)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Calls `check` until it returns a truthy value (which it resolves with); a throw counts as "not
 * yet". Rejects with the last value or error once `timeoutMs` have passed.
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = DEFAULT_WAIT_MS,
  what = 'a condition',
  pollMs = DEFAULT_POLL_MS,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new WaitTimeoutError(timeoutMs, what, last);
    await pause(pollMs);
  }
}

/** Resolves with the arguments of the next `event` of `emitter` that `match` accepts. */
export function nextEvent<A extends unknown[] = unknown[]>(
  emitter: EventEmitter,
  event: string,
  match: (...args: NoInfer<A>) => boolean = () => true,
  timeoutMs = DEFAULT_WAIT_MS,
  what = `event "${event}"`,
): Promise<A> {
  let listener: ((...args: A) => void) | undefined;
  return within(
    new Promise<A>((resolve) => {
      listener = (...args: A) => {
        if (match(...args)) resolve(args);
      };
      emitter.on(event, listener as (...args: unknown[]) => void);
    }),
    timeoutMs,
    what,
  ).finally(() => emitter.off(event, listener as (...args: unknown[]) => void));
}

/** Resolves once `condition()` holds, checked now and after every one of `events` of `emitter`. */
export async function untilEvents(
  emitter: EventEmitter,
  events: readonly string[],
  condition: () => boolean,
  timeoutMs = DEFAULT_WAIT_MS,
  what = `a condition after ${events.join('/')}`,
): Promise<void> {
  if (condition()) return;
  let check: (() => void) | undefined;
  await within(
    new Promise<void>((resolve) => {
      check = () => {
        if (condition()) resolve();
      };
      for (const e of events) emitter.on(e, check);
    }),
    timeoutMs,
    what,
  ).finally(() => {
    for (const e of events) emitter.off(e, check as () => void);
  });
}
