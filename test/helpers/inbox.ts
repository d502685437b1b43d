import { DEFAULT_WAIT_MS, WaitTimeoutError } from './wait.js';

interface Waiter<T> {
  match: (item: T) => boolean;
  deliver: (item: T) => void;
}

/**
 * Items received (messages, events, lines), handed to the oldest waiter that wants them or kept in
 * arrival order. A test awaits the next one with a time limit instead of sleeping. Arguments as in
 * wait.ts: what is awaited (a filter, for `nextMatching`), then the time limit, then its name.
 */
export class Inbox<T> {
  private readonly items: T[] = [];
  private waiters: Waiter<T>[] = [];

  push(item: T): void {
    const i = this.waiters.findIndex((w) => w.match(item));
    if (i < 0) {
      this.items.push(item);
      return;
    }
    const [waiter] = this.waiters.splice(i, 1);
    waiter?.deliver(item);
  }

  /** The oldest item, or the next to arrive. */
  next(timeoutMs = DEFAULT_WAIT_MS, what = 'an item'): Promise<T> {
    return this.nextMatching(() => true, timeoutMs, what);
  }

  /** The oldest item `match` accepts, or the next such to arrive; the others stay queued. */
  nextMatching(match: (item: T) => boolean, timeoutMs = DEFAULT_WAIT_MS, what = 'a matching item'): Promise<T> {
    const i = this.items.findIndex(match);
    if (i >= 0) return Promise.resolve(this.items.splice(i, 1)[0] as T);
    return new Promise((resolve, reject) => {
      const waiter: Waiter<T> = {
        match,
        deliver: (item) => {
          clearTimeout(timer);
          resolve(item);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new WaitTimeoutError(timeoutMs, what));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** How many items are queued (received and not taken). */
  get size(): number {
    return this.items.length;
  }

  /** The queued items, oldest first, left queued. */
  get pending(): readonly T[] {
    return this.items;
  }

  /** Takes every queued item. */
  drain(): T[] {
    return this.items.splice(0);
  }
}
