import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RECONNECT_INITIAL_DELAY_MS,
  DEFAULT_RECONNECT_MAX_DELAY_MS,
  DEFAULT_STATS_INTERVAL_MS,
  RegisterErrorCode,
  resolveRegisterClientOptions,
  resolveRegisterServerOptions,
  type RegisterClientOptions,
} from '../src/index.js';
import { DEFAULT_LINK_OPTIONS } from '@gateworker/protocol';
import { gatewayInfo } from './helpers.js';

const client = (o: Partial<RegisterClientOptions> = {}): RegisterClientOptions => ({
  registers: ['127.0.0.1:1236'],
  secret: 's',
  role: 'client',
  nodeId: 'n',
  ...o,
});

function invalid(fn: () => unknown, key: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).toMatchObject({ code: RegisterErrorCode.InvalidOptions });
    expect((err as Error).message).toContain(`"${key}"`);
    return;
  }
  throw new Error(`expected invalid option ${key}`);
}

describe('resolveRegisterClientOptions', () => {
  it('fills defaults and parses register addresses, IPv6 included', () => {
    const r = resolveRegisterClientOptions(client({ registers: ['127.0.0.1:1236', '[::1]:1237'] }));
    expect(r.registers).toEqual([
      { address: '127.0.0.1:1236', host: '127.0.0.1', port: 1236 },
      { address: '[::1]:1237', host: '::1', port: 1237 },
    ]);
    expect(r.statsIntervalMs).toBe(DEFAULT_STATS_INTERVAL_MS);
    expect(r.reconnect).toEqual({ initialDelayMs: DEFAULT_RECONNECT_INITIAL_DELAY_MS, maxDelayMs: DEFAULT_RECONNECT_MAX_DELAY_MS });
    expect(r.gateway).toBeNull();
  });

  it('rejects bad options with one clear error naming the key', () => {
    invalid(() => resolveRegisterClientOptions(client({ registers: [] })), 'registers');
    invalid(() => resolveRegisterClientOptions(client({ registers: ['nope'] })), 'registers[0]');
    invalid(() => resolveRegisterClientOptions(client({ registers: ['127.0.0.1:1', '127.0.0.1:1'] })), 'registers');
    invalid(() => resolveRegisterClientOptions(client({ role: 'gateway' })), 'gateway');
    invalid(() => resolveRegisterClientOptions(client({ role: 'worker' })), 'worker');
    invalid(() => resolveRegisterClientOptions(client({ nodeId: '' })), 'nodeId');
    invalid(() => resolveRegisterClientOptions(client({ statsIntervalMs: 0 })), 'statsIntervalMs');
    invalid(() => resolveRegisterClientOptions(client({ reconnect: { initialDelayMs: 500, maxDelayMs: 100 } })), 'reconnect.maxDelayMs');
  });

  it('applies the one secret policy (secretPolicyProblem) to every register', () => {
    expect(resolveRegisterClientOptions(client({ secret: '' })).secret).toBe('');
    invalid(() => resolveRegisterClientOptions(client({ secret: '', registers: ['127.0.0.1:1236', '10.0.0.1:1236'] })), 'secret');
    invalid(() => resolveRegisterClientOptions(client({ secret: 'short', registers: ['10.0.0.1:1236'] })), 'secret');
    expect(resolveRegisterClientOptions(client({ secret: 'x'.repeat(16), registers: ['10.0.0.1:1236'] })).registers).toHaveLength(1);
  });

  it('keeps the gateway info for role gateway', () => {
    const g = gatewayInfo('g1');
    expect(resolveRegisterClientOptions(client({ role: 'gateway', gateway: g })).gateway).toEqual(g);
  });
});

describe('resolveRegisterServerOptions', () => {
  it('validates listen and secret', () => {
    const base = { listen: { host: '127.0.0.1', port: 0 }, secret: '', nodeId: 'r' };
    expect(resolveRegisterServerOptions(base).port).toBe(0);
    invalid(() => resolveRegisterServerOptions({ ...base, listen: { host: '0.0.0.0', port: 1236 } }), 'secret');
    invalid(() => resolveRegisterServerOptions({ ...base, secret: 'short', listen: { host: '0.0.0.0', port: 1236 } }), 'secret');
    invalid(() => resolveRegisterServerOptions({ ...base, listen: { host: '127.0.0.1', port: 70000 } }), 'listen.port');
    invalid(() => resolveRegisterServerOptions({ ...base, link: { timeoutMs: 0 } }), 'link.timeoutMs');
    const moved = { ...base, handshakeTimeoutMs: 100 } as Parameters<typeof resolveRegisterServerOptions>[0];
    invalid(() => resolveRegisterServerOptions(moved), 'handshakeTimeoutMs');
    expect(resolveRegisterServerOptions({ ...base, link: { handshakeTimeoutMs: 100 } }).link).toEqual({
      ...DEFAULT_LINK_OPTIONS,
      handshakeTimeoutMs: 100,
    });
  });
});
