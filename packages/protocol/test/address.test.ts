import { describe, expect, it } from 'vitest';
import { AddressError, formatAddress, isLoopbackHost, isUnspecifiedHost, parseAddress } from '@gateworker/protocol';

describe('parseAddress (the one internal address parser)', () => {
  it('accepts host:port, ipv4:port and [ipv6]:port', () => {
    expect(parseAddress('reg.example.com:1236')).toEqual({ host: 'reg.example.com', port: 1236 });
    expect(parseAddress('10.0.0.5:2900')).toEqual({ host: '10.0.0.5', port: 2900 });
    expect(parseAddress('[fd77::22]:2900')).toEqual({ host: 'fd77::22', port: 2900 });
    expect(parseAddress('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseAddress('localhost:65535')).toEqual({ host: 'localhost', port: 65535 });
  });

  it('where a port is implied, also accepts host, [ipv6] and a bare ipv6', () => {
    const implied = { defaultPort: 2900 };
    expect(parseAddress('10.0.0.6', implied)).toEqual({ host: '10.0.0.6', port: 2900 });
    expect(parseAddress('[fd77::22]', implied)).toEqual({ host: 'fd77::22', port: 2900 });
    expect(parseAddress('fd77::22', implied)).toEqual({ host: 'fd77::22', port: 2900 });
    expect(parseAddress('gw1.internal:3900', implied)).toEqual({ host: 'gw1.internal', port: 3900 });
  });

  it('formats back without doubling brackets ([fd77::22] announces [fd77::22]:2900)', () => {
    const { host, port } = parseAddress('[fd77::22]', { defaultPort: 2900 });
    expect(formatAddress(host, port)).toBe('[fd77::22]:2900');
    expect(formatAddress('10.0.0.6', 1)).toBe('10.0.0.6:1');
  });

  it.each([
    ['', 'empty'],
    ['host', 'missing ":port"'],
    ['fd77::22:2900', 'needs brackets'],
    ['[fd77::22]', 'missing ":port"'],
    ['[fd77::22', 'missing "]"'],
    ['[10.0.0.1]:80', 'not an IPv6'],
    ['[fd77::22]x:1', 'unexpected'],
    ['host:99999', 'above 65535'],
    ['host:-1', 'not a number'],
    ['host:', 'not a number'],
    [':2900', 'empty host'],
    ['a b:1', 'whitespace'],
    ['bad_host!:1', 'not a host name'],
    ['[[fd77::22]]:2900', 'not an IPv6'],
  ])('rejects %j (%s)', (text, why) => {
    const err = (() => {
      try {
        parseAddress(text);
        return null;
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(AddressError);
    expect((err as AddressError).code).toBe('GW_ERR_INVALID_ADDRESS');
    expect((err as Error).message).toContain(why);
  });

  it('knows wildcard and loopback hosts', () => {
    for (const h of ['0.0.0.0', '::', '[::]', '0:0:0:0:0:0:0:0']) expect(isUnspecifiedHost(h)).toBe(true);
    for (const h of ['127.0.0.1', '::1', '10.0.0.1', 'localhost']) expect(isUnspecifiedHost(h)).toBe(false);
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost']) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['10.0.0.1', '0.0.0.0', 'fd77::22']) expect(isLoopbackHost(h)).toBe(false);
  });
});
