import { describe, expect, it } from 'vitest';
import type { Config } from '../../bin/src/config/schema.js';
import { appliedConfig, unappliableChanges } from '../../bin/src/supervisor/config-diff.js';

describe('unappliableChanges', () => {
  const base = { worker: { processes: 2, handler: '/a.js', maxDeliveries: 2, poisonPolicy: 'continue' } } as unknown as Config;

  it('lets a reload apply the worker section, but not the poison keys the gateways read', () => {
    const more = { worker: { processes: 4, handler: '/b.js', maxDeliveries: 2, poisonPolicy: 'continue' } } as unknown as Config;
    expect(unappliableChanges(base, more)).toEqual([]);
    const poison = { worker: { processes: 2, handler: '/a.js', maxDeliveries: 3, poisonPolicy: 'close' } } as unknown as Config;
    expect(unappliableChanges(base, poison)).toEqual(['worker.maxDeliveries', 'worker.poisonPolicy']);
    // The running config keeps the gateways' values, so the next reload still reports them.
    expect(appliedConfig(base, poison).worker).toMatchObject({ maxDeliveries: 2, poisonPolicy: 'continue' });
  });
});
