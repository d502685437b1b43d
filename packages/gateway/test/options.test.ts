import { describe, expect, it } from 'vitest';
import { DEFAULT_LINK_OPTIONS } from '@gateworker/protocol';
import { resolveGatewayOptions, type GatewayOptions } from '../src/options.js';

const SECRET = 'a-secret-of-16-chars-or-more';
const base: GatewayOptions = { nodeId: 'n', secret: SECRET, listeners: [], internal: { host: '127.0.0.1', port: 0 }, registers: [] };

function invalid(options: GatewayOptions): Error & { code?: string } {
  try {
    resolveGatewayOptions(options);
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected the options to be refused');
}

describe('gateway advertise / cluster options', () => {
  it('parses advertise with the one address parser: host, [ipv6], bare ipv6, or with a port', () => {
    expect(resolveGatewayOptions({ ...base, advertise: '[fd77::22]' }).advertise).toEqual({ host: 'fd77::22', port: null });
    expect(resolveGatewayOptions({ ...base, advertise: 'fd77::22' }).advertise).toEqual({ host: 'fd77::22', port: null });
    expect(resolveGatewayOptions({ ...base, advertise: '10.0.0.6:3900' }).advertise).toEqual({ host: '10.0.0.6', port: 3900 });
    expect(resolveGatewayOptions(base).advertise).toEqual({ host: '127.0.0.1', port: null });
  });

  it('refuses a wildcard internal host without advertise, saying what to set', () => {
    for (const host of ['0.0.0.0', '::']) {
      const err = invalid({ ...base, internal: { host, port: 2900 } });
      expect(err.code).toBe('GW_ERR_INVALID_OPTIONS');
      expect(err.message).toContain('advertise');
    }
    expect(resolveGatewayOptions({ ...base, internal: { host: '0.0.0.0', port: 2900 }, advertise: '10.0.0.6' }).advertise.host).toBe('10.0.0.6');
  });

  it('refuses malformed advertise addresses and cluster names', () => {
    for (const advertise of ['[[fd77::22]]', 'a b', '0.0.0.0', 'host:99999']) expect(invalid({ ...base, advertise }).message).toContain('advertise');
    expect(invalid({ ...base, cluster: 'has space' }).message).toContain('cluster');
    expect(resolveGatewayOptions({ ...base, cluster: 'prod' }).cluster).toBe('prod');
  });
});

describe('gateway secret', () => {
  it('applies the one secret policy to the internal host (secretPolicyProblem)', () => {
    expect(resolveGatewayOptions({ ...base, secret: '' }).secret).toBe('');
    const err = invalid({ ...base, secret: 'short', internal: { host: '10.0.0.6', port: 2900 } });
    expect(err.code).toBe('GW_ERR_INVALID_OPTIONS');
    expect(err.message).toMatch(/secret: must have at least 16 non-whitespace characters \(has 5\) because internal.host \(10.0.0.6\)/);
    expect(resolveGatewayOptions({ ...base, internal: { host: '10.0.0.6', port: 2900 } }).secret).toBe(SECRET);
  });
});

describe('gateway link options', () => {
  it('resolves them once with the one link resolver, naming the key', () => {
    expect(resolveGatewayOptions(base).link).toEqual(DEFAULT_LINK_OPTIONS);
    expect(resolveGatewayOptions({ ...base, link: { timeoutMs: 300, handshakeTimeoutMs: 100 } }).link).toEqual({
      ...DEFAULT_LINK_OPTIONS,
      timeoutMs: 300,
      handshakeTimeoutMs: 100,
    });
    expect(invalid({ ...base, link: { maxFrameBytes: 64 } }).message).toContain('link.maxFrameBytes');
    expect(invalid({ ...base, handshakeTimeoutMs: 100 } as GatewayOptions).message).toContain('link.handshakeTimeoutMs');
    expect(invalid({ ...base, nodeId: 'n'.repeat(257) }).message).toContain('nodeId');
  });
});
