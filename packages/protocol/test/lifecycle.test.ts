/**
 * The shared lifecycle piece: close() idempotent and awaited, destroy() immediate and safe during
 * close(), one close report; withTimeout's settle/timeout/rejection rules; listen() on port 0.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { boundAddress, Lifecycle, listen, withTimeout } from '@gateworker/protocol/node';

/** A promise with its resolve/reject exposed. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (err: Error) => void } {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('Lifecycle', () => {
  it('close() runs the shutdown once and returns the same promise to every caller', async () => {
    let closes = 0;
    let runs = 0;
    const step = deferred();
    const life = new Lifecycle(() => closes++);
    const first = life.close(() => (runs++, step.promise));
    const second = life.close(() => (runs++, Promise.resolve()));
    expect(second).toBe(first);
    expect(runs).toBe(1);
    expect(life.stopping).toBe(true);
    expect(life.closed).toBe(false);
    step.resolve();
    await first;
    expect(life.closed).toBe(true);
    expect(closes).toBe(1);
    expect(life.close(() => (runs++, Promise.resolve()))).toBe(first);
    expect(runs).toBe(1);
    expect(closes).toBe(1);
  });

  it('destroy() during close() reports the close once and settles the pending close()', async () => {
    let closes = 0;
    let tornDown = 0;
    const never = new Promise<void>(() => {});
    const life = new Lifecycle(() => closes++);
    const closing = life.close(() => never);
    expect(life.destroy(() => tornDown++)).toBe(true);
    expect(closes).toBe(1);
    expect(life.closed).toBe(true);
    await closing;
    expect(life.destroy(() => tornDown++)).toBe(false);
    expect(tornDown).toBe(1);
    expect(closes).toBe(1);
  });

  it('a shutdown that finishes after destroy() does not report a second close', async () => {
    let closes = 0;
    const step = deferred();
    const life = new Lifecycle(() => closes++);
    const closing = life.close(() => step.promise);
    life.destroy(() => {});
    step.resolve();
    await closing;
    await step.promise;
    await Promise.resolve();
    expect(closes).toBe(1);
  });

  it('a shutdown that rejects after destroy() is not an unhandled rejection', async () => {
    const step = deferred();
    const life = new Lifecycle();
    const closing = life.close(() => step.promise);
    life.destroy(() => {});
    step.reject(new Error('late'));
    await expect(closing).resolves.toBeUndefined();
    // An unhandled rejection would fail the run (vitest reports them as errors).
    await new Promise((resolve) => setImmediate(resolve));
  });

  it('close() after destroy() resolves without running the shutdown', async () => {
    let runs = 0;
    let closes = 0;
    const life = new Lifecycle(() => closes++);
    life.destroy(() => {});
    await life.close(() => (runs++, Promise.resolve()));
    expect(runs).toBe(0);
    expect(closes).toBe(1);
  });

  it('a rejected shutdown reaches every caller and still counts as closed (reported once)', async () => {
    let closes = 0;
    const life = new Lifecycle(() => closes++);
    const first = life.close(() => Promise.reject(new Error('step failed')));
    await expect(first).rejects.toThrow('step failed');
    await expect(life.close(() => Promise.resolve())).rejects.toThrow('step failed');
    expect(life.closed).toBe(true);
    expect(closes).toBe(1);
  });

  it('a shutdown that throws synchronously rejects the close() promise', async () => {
    const life = new Lifecycle();
    await expect(
      life.close(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(life.closed).toBe(true);
  });

  it('destroy() reports the close even when the teardown throws, and only once', () => {
    let closes = 0;
    const life = new Lifecycle(() => closes++);
    expect(() =>
      life.destroy(() => {
        throw new Error('teardown');
      }),
    ).toThrow('teardown');
    expect(closes).toBe(1);
    expect(life.destroy(() => {})).toBe(false);
    expect(closes).toBe(1);
  });

  it('the shutdown already sees `stopping` in its first, synchronous steps', async () => {
    const life = new Lifecycle();
    let seen: boolean | null = null;
    await life.close(() => {
      seen = life.stopping;
      return Promise.resolve();
    });
    expect(seen).toBe(true);
  });

  it('a destroy() from inside the shutdown steps is a no-op past the first report', async () => {
    let closes = 0;
    const life = new Lifecycle(() => closes++);
    await life.close(() => {
      life.destroy(() => {});
      return Promise.resolve();
    });
    expect(closes).toBe(1);
  });
});

describe('withTimeout', () => {
  it('resolves true when the promise fulfils in time', async () => {
    await expect(withTimeout(Promise.resolve(1), 1_000)).resolves.toBe(true);
  });

  it('resolves true when the promise rejects in time (the rejection only ends the wait)', async () => {
    await expect(withTimeout(Promise.reject(new Error('x')), 1_000)).resolves.toBe(true);
  });

  it('resolves false when the time runs out first', async () => {
    await expect(withTimeout(new Promise(() => {}), 5)).resolves.toBe(false);
  });
});

describe('listen', () => {
  it('binds port 0, resolves with the bound address, and routes later errors to onError', async () => {
    const server = createServer();
    const errors: Error[] = [];
    const bound = await listen(server, '127.0.0.1', 0, (err) => errors.push(err));
    try {
      expect(bound.host).toBe('127.0.0.1');
      expect(bound.port).toBeGreaterThan(0);
      expect(boundAddress(server, '127.0.0.1', 0)).toEqual(bound);
      server.emit('error', new Error('later'));
      expect(errors.map((e) => e.message)).toEqual(['later']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(boundAddress(server, '127.0.0.1', 0)).toEqual({ host: '127.0.0.1', port: 0 });
  });

  it('rejects with the bind error when the port is taken', async () => {
    const first = createServer();
    const { port } = await listen(first, '127.0.0.1', 0, () => {});
    try {
      const second = createServer();
      await expect(listen(second, '127.0.0.1', port, () => {})).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await new Promise((resolve) => first.close(resolve));
    }
  });
});
