import { afterEach, describe, expect, it } from 'vitest';
import { BusinessWorker } from '../src/business-worker.js';
import { StaticGatewayDirectory } from '../src/directory.js';
import { defineHandler, type ConfigChange, type WorkerContext } from '../src/handler.js';
import { deferred } from './fakes.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface App {
  greeting: string;
  limits?: { perMinute: number };
}

function start(handler: ReturnType<typeof defineHandler<object, App>>, config: App): BusinessWorker {
  const w = new BusinessWorker({
    handler,
    registers: [],
    directory: new StaticGatewayDirectory([]),
    secret: '',
    nodeId: 'test',
    workerId: 'w1',
    config: { ...config },
  });
  cleanups.push(() => w.destroy());
  return w;
}

describe('worker.config and onConfigChange', () => {
  it('worker.config is the app section, read-only, and a change replaces it whole before onConfigChange runs', async () => {
    const seen: { during: string; change: ConfigChange<App> }[] = [];
    let ctx: WorkerContext<object, App> | null = null;
    const w = start(
      defineHandler<object, App>({
        onWorkerStart(worker) {
          ctx = worker;
        },
        onConfigChange(worker, change) {
          seen.push({ during: worker.config.greeting, change });
        },
      }),
      { greeting: 'hello', limits: { perMinute: 5 } },
    );
    await w.start();
    const first = ctx!.config;
    expect(first).toEqual({ greeting: 'hello', limits: { perMinute: 5 } });
    expect(Object.isFrozen(first.limits)).toBe(true);
    expect(() => ((first as { greeting: string }).greeting = 'x')).toThrow(TypeError);

    await w.reconfigure({ greeting: 'bonjour', limits: { perMinute: 5 } }, ['app.greeting']);
    expect(ctx!.config.greeting).toBe('bonjour');
    expect(first.greeting).toBe('hello'); // an old snapshot stays what it was
    expect(seen).toHaveLength(1);
    expect(seen[0]!.during).toBe('bonjour');
    expect(seen[0]!.change.changed).toEqual(['app.greeting']);
    expect(seen[0]!.change.previous.greeting).toBe('hello');
    expect(seen[0]!.change.current.greeting).toBe('bonjour');
  });

  it('calls onConfigChange once per change, one at a time, in order; a throwing one does not undo the change', async () => {
    const order: string[] = [];
    const gate = deferred();
    const w = start(
      defineHandler<object, App>({
        async onConfigChange(_worker, change) {
          order.push(`start ${change.current.greeting}`);
          if (change.current.greeting === 'b') await gate.promise;
          if (change.current.greeting === 'c') throw new Error('handler bug');
          order.push(`end ${change.current.greeting}`);
        },
      }),
      { greeting: 'a' },
    );
    await w.start();
    const b = w.reconfigure({ greeting: 'b' }, ['app.greeting']);
    const c = w.reconfigure({ greeting: 'c' }, ['app.greeting']);
    const d = w.reconfigure({ greeting: 'd' }, ['app.greeting']);
    expect(w.config.greeting).toBe('d'); // the snapshot is replaced at once; callbacks follow in order
    await Promise.resolve();
    expect(order).toEqual(['start b']);
    gate.resolve();
    await Promise.all([b, c, d]);
    expect(order).toEqual(['start b', 'end b', 'start c', 'start d', 'end d']);
  });
});
