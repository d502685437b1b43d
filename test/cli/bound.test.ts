import { describe, expect, it } from 'vitest';
import { configSchema, type Config } from '../../bin/src/config/schema.js';
import { pin, withPinned, type PinnedAddresses } from '../../bin/src/supervisor/bound.js';

// Port 0 under `start` (bin/src/supervisor/bound.ts): what the supervisor pins from the addresses
// its children report, and what it then gives the children.

function config(gatewayProcesses: number, listen = ['ws://127.0.0.1:0/', 'tcp://127.0.0.1:7000'], register = '127.0.0.1:0'): Config {
  return configSchema.parse({
    register: { listen: register },
    gateway: { processes: gatewayProcesses, listen: listen.map((url) => ({ url })), internal: '127.0.0.1:0' },
    worker: { handler: './h.mjs' },
  });
}

describe('port 0 pinning', () => {
  it("pins the register's bound address and gives it to every later child", () => {
    const c = config(2);
    const pinned: PinnedAddresses = {};
    pin(c, pinned, { register: '127.0.0.1:41001' });
    pin(c, pinned, { register: '127.0.0.1:41002' }); // a later report changes nothing
    expect(pinned.register).toBe('127.0.0.1:41001');
    expect(withPinned(c, pinned).register?.listen).toBe('127.0.0.1:41001');
    expect(c.register?.listen).toBe('127.0.0.1:0'); // the running config is left as configured
  });

  it('pins nothing that was not configured with port 0', () => {
    const c = config(1, ['ws://127.0.0.1:7001/'], '127.0.0.1:1236');
    const pinned: PinnedAddresses = {};
    pin(c, pinned, { register: '127.0.0.1:1236', listeners: ['ws://127.0.0.1:7001/'] });
    expect(pinned.register).toBeUndefined();
    expect(withPinned(c, pinned)).toEqual(c);
  });

  it('with one gateway process, pins its port-0 listeners (a restart binds the same port); a fixed one stays as written', () => {
    const c = config(1);
    const pinned: PinnedAddresses = {};
    pin(c, pinned, { listeners: ['ws://127.0.0.1:42001/', 'tcp://127.0.0.1:7000'], internal: '127.0.0.1:43001' });
    expect(withPinned(c, pinned).gateway?.listen.map((l) => l.url)).toEqual(['ws://127.0.0.1:42001/', 'tcp://127.0.0.1:7000']);
    expect(withPinned(c, pinned).gateway?.internal).toBe('127.0.0.1:0'); // each process binds its own, announced
  });

  it('with several gateway processes, pins no listener (they share one socket through node:cluster)', () => {
    const c = config(2);
    const pinned: PinnedAddresses = {};
    pin(c, pinned, { listeners: ['ws://127.0.0.1:42001/', 'tcp://127.0.0.1:7000'] });
    expect(withPinned(c, pinned).gateway?.listen.map((l) => l.url)).toEqual(['ws://127.0.0.1:0/', 'tcp://127.0.0.1:7000']);
  });
});
