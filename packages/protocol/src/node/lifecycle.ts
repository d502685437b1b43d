/**
 * The lifecycle every long-lived gateworker object shares (Gateway, BusinessWorker,
 * GatewayClient, RegisterServer, RegisterClient, the bus and its bridges, the discovery backends,
 * the config centre watch, the admin server…), in this order:
 *
 * - `start()`: bind or connect. Once.
 * - `drain()`: stop taking new work and finish what is in flight (objects that have work to
 *   finish; for the others there is nothing between start and close).
 * - `close()`: graceful; drains first where the object drains. Idempotent: every call returns
 *   the same promise, which settles once the object is closed.
 * - `destroy()`: immediate; drops sockets and timers now. Safe at any time, also while close()
 *   runs: that close() promise then resolves at once.
 *
 * Whichever of close() and destroy() ends the object, it reports closing exactly once (`onClosed`,
 * where the owner emits its `'close'` event). An object owns one `Lifecycle` and forwards its
 * close()/destroy() here with the steps that are its own.
 */
export class Lifecycle {
  private closing: Promise<void> | null = null;
  /** close() was called (set before its shutdown runs, so the shutdown's first steps see `stopping`). */
  private closeCalled = false;
  private ended = false;
  /** Settles a close() in progress when destroy() overtakes it. */
  private overtake: (() => void) | null = null;

  constructor(private readonly onClosed: () => void = () => {}) {}

  /** close() or destroy() was called: the object takes no new work. */
  get stopping(): boolean {
    return this.closeCalled || this.ended;
  }

  /** The object is closed (close() finished, or destroy() ran). */
  get closed(): boolean {
    return this.ended;
  }

  /**
   * Runs `shutdown` on the first call (synchronously up to its first await) and returns a promise
   * that settles when it is done or when destroy() overtakes it; later calls return that same
   * promise. A rejection of `shutdown` reaches the callers; the object counts as closed either way.
   * After destroy(), resolves at once without running `shutdown`.
   */
  close(shutdown: () => Promise<void>): Promise<void> {
    if (this.closing !== null) return this.closing;
    if (this.ended) return (this.closing = Promise.resolve());
    this.closeCalled = true;
    const overtaken = new Promise<void>((resolve) => (this.overtake = resolve));
    let steps: Promise<void>;
    try {
      steps = shutdown();
    } catch (err) {
      steps = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    const done = steps.finally(() => this.end());
    // The race subscribes to `done`: a rejection after destroy() won is not left unhandled.
    this.closing = Promise.race([done, overtaken]);
    return this.closing;
  }

  /**
   * Runs `teardown` unless the object is already closed, then reports the close (once). Returns
   * false when there was nothing to do. A close() in progress resolves; its remaining steps find
   * the object closed (`closed` is true before `teardown` runs).
   */
  destroy(teardown: () => void): boolean {
    if (this.ended) return false;
    this.ended = true;
    try {
      teardown();
    } finally {
      this.overtake?.();
      this.overtake = null;
      this.onClosed();
    }
    return true;
  }

  private end(): void {
    this.overtake = null;
    if (this.ended) return;
    this.ended = true;
    this.onClosed();
  }
}

/**
 * Resolves true when `promise` settles (fulfilled OR rejected) within `ms` milliseconds, false
 * when the time runs out first. Never rejects: it bounds a wait (a shutdown step, a drain) whose
 * failure is reported where it happens, so a rejection only ends the wait early. The timer is
 * cleared as soon as the promise settles.
 */
export function withTimeout(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const settled = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    promise.then(settled, settled);
  });
}
