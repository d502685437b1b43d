import { isIP } from 'node:net';

/**
 * The one parser for internal addresses (register `listen`, gateway `internal` / `advertise`,
 * register lists, announced gateway addresses). Config validation, the CLI and the dialers all go
 * through it, so an address accepted once is dialled as it was written.
 *
 * Accepted: `host:port` (a DNS name or IPv4), `[ipv6]:port`; where a port is implied
 * (`defaultPort` given, e.g. `advertise`): also `host`, `[ipv6]` and a bare `ipv6`.
 * Rejected: an IPv6 address with a port but without brackets, empty or malformed hosts, ports
 * outside 0–65535, whitespace, anything else.
 */

export interface HostPort {
  /** Host name or IP, without brackets. */
  host: string;
  port: number;
}

/** A malformed address; `message` says what is accepted. */
export class AddressError extends RangeError {
  override readonly name = 'AddressError';
  readonly code = 'GW_ERR_INVALID_ADDRESS';
}

export interface ParseAddressOptions {
  /** The port to use when none is written; without it a port is required. */
  defaultPort?: number;
}

/** Labels of letters, digits, `-` and `_`, dot-separated; at most 253 characters. */
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/;

function fail(text: string, why: string, portImplied: boolean): never {
  const forms = portImplied ? 'host, host:port, [ipv6], [ipv6]:port or a bare ipv6 address' : 'host:port or [ipv6]:port';
  throw new AddressError(`"${text}" is not a valid address (${why}); expected ${forms}`);
}

function parsePort(text: string, digits: string, portImplied: boolean): number {
  if (!/^\d{1,5}$/.test(digits)) fail(text, `port "${digits}" is not a number`, portImplied);
  const port = Number(digits);
  if (port > 65535) fail(text, `port ${port} is above 65535`, portImplied);
  return port;
}

function checkHost(text: string, host: string, portImplied: boolean): string {
  if (host === '') fail(text, 'empty host', portImplied);
  if (isIP(host) === 4 || HOST_NAME.test(host)) return host;
  fail(text, `"${host}" is not a host name or IPv4 address`, portImplied);
}

/** Parses an address; throws an AddressError naming what is accepted. */
export function parseAddress(text: string, options: ParseAddressOptions = {}): HostPort {
  const implied = options.defaultPort;
  const portImplied = implied !== undefined;
  if (typeof text !== 'string' || text === '' || /\s/.test(text)) fail(String(text), 'empty or contains whitespace', portImplied);
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) fail(text, 'missing "]"', portImplied);
    const host = text.slice(1, close);
    if (isIP(host) !== 6) fail(text, `"${host}" in brackets is not an IPv6 address`, portImplied);
    const rest = text.slice(close + 1);
    if (rest === '') {
      if (!portImplied) fail(text, 'missing ":port"', portImplied);
      return { host, port: implied };
    }
    if (!rest.startsWith(':')) fail(text, `unexpected "${rest}" after "]"`, portImplied);
    return { host, port: parsePort(text, rest.slice(1), portImplied) };
  }
  const colons = text.split(':').length - 1;
  if (colons >= 2) {
    // A bare IPv6 address: only where the port is implied (with a port, brackets are required).
    if (isIP(text) !== 6) fail(text, 'an IPv6 address with a port needs brackets: [addr]:port', portImplied);
    if (!portImplied) fail(text, 'an IPv6 address needs brackets and a port: [addr]:port', portImplied);
    return { host: text, port: implied };
  }
  if (colons === 0) {
    if (!portImplied) fail(text, 'missing ":port"', portImplied);
    return { host: checkHost(text, text, portImplied), port: implied };
  }
  const i = text.indexOf(':');
  return { host: checkHost(text, text.slice(0, i), portImplied), port: parsePort(text, text.slice(i + 1), portImplied) };
}

/** `host:port`, with IPv6 hosts in brackets. The inverse of parseAddress. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A wildcard bind address (every interface): not something another machine can dial. */
export function isUnspecifiedHost(host: string): boolean {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (h === '0.0.0.0') return true;
  return isIP(h) === 6 && /^[0:]+$/.test(h);
}

/** A loopback host (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::1' || h === 'localhost' || /^(0+:){7}0*1$/.test(h);
}
