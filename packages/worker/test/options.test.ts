import { describe, expect, it } from 'vitest';
import { DEFAULT_LINK_OPTIONS, MAX_NODE_ID_LENGTH } from '@gateworker/protocol';
import { DEFAULT_REGISTER_READY_TIMEOUT_MS } from '@gateworker/register';
import { DEFAULT_READY_TIMEOUT_MS, DEFAULT_REGISTER_TIMEOUT_MS, resolveClientOptions, resolveWorkerOptions } from '../src/index.js';

const base = { handler: {}, nodeId: 'n', secret: '', registers: ['127.0.0.1:1236'] };

describe('worker options', () => {
  it('resolves link options once with the one link resolver', () => {
    expect(resolveWorkerOptions(base).link).toEqual(DEFAULT_LINK_OPTIONS);
    expect(resolveClientOptions({ ...base, link: { pingIntervalMs: 0 } }).link).toEqual({ ...DEFAULT_LINK_OPTIONS, pingIntervalMs: 0 });
    expect(() => resolveWorkerOptions({ ...base, link: { timeoutMs: 0 } })).toThrow(/BusinessWorker: link.timeoutMs must be a positive number/);
  });

  it('keeps the two ready timeouts apart: the whole start (30 s) and a register answer (10 s, one constant)', () => {
    expect(resolveWorkerOptions(base).readyTimeoutMs).toBe(DEFAULT_READY_TIMEOUT_MS);
    expect(DEFAULT_READY_TIMEOUT_MS).toBe(30_000);
    expect(DEFAULT_REGISTER_READY_TIMEOUT_MS).toBe(10_000);
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- the deprecated alias still names the one constant
    expect(DEFAULT_REGISTER_TIMEOUT_MS).toBe(DEFAULT_REGISTER_READY_TIMEOUT_MS);
  });

  it('keeps ids within the protocol limits (MAX_NODE_ID_LENGTH, MAX_WORKER_ID_LENGTH)', () => {
    expect(() => resolveWorkerOptions({ ...base, nodeId: 'n'.repeat(MAX_NODE_ID_LENGTH + 1) })).toThrow(
      /nodeId must be a non-empty string of at most 256/,
    );
    expect(() => resolveWorkerOptions({ ...base, nodeId: 'n'.repeat(MAX_NODE_ID_LENGTH) })).toThrow(/workerId \(default <nodeId>\/<pid>\)/);
    expect(resolveWorkerOptions({ ...base, nodeId: 'n'.repeat(MAX_NODE_ID_LENGTH), workerId: 'w' }).workerId).toBe('w');
    expect(() => resolveClientOptions({ ...base, nodeId: '' })).toThrow(/GatewayClient: nodeId/);
  });
});
