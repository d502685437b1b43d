import { formatAddress, parseAddress, type HostPort } from '../address.js';

/**
 * Old names kept for code written against them; nothing in gateworker uses them. There is one
 * address parser, `parseAddress` in @gateworker/protocol (config validation, the CLI and every
 * dialler go through it), and its inverse `formatAddress`.
 */

/** @deprecated Use `parseAddress` from @gateworker/protocol (same parser, same errors). */
export function parseHostPort(address: string): HostPort {
  return parseAddress(address);
}

/** @deprecated Use `formatAddress` from @gateworker/protocol. */
export const formatHostPort: (host: string, port: number) => string = formatAddress;
