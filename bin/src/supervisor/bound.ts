import { parseAddress } from '@gateworker/protocol';
import type { Config } from '../config/schema.js';

/**
 * Port 0 under `start`: a register, a client listener or a gateway's internal port configured with
 * port 0 binds any free port. A child reports what it bound with `ready`; `cluster ready` logs it
 * (Supervisor.addresses). The supervisor pins what others must find again:
 * - the register's address, from its first process: gateways and workers dial it, and a restarted
 *   register binds the same port;
 * - with one gateway process, its client listeners' URLs: a restarted gateway binds the same ports.
 *   With several, node:cluster gives every gateway process's listen(0) one shared socket (the same
 *   port) for as long as one of them runs, so nothing is pinned; a restart of all of them at once
 *   may bind other ports.
 * Internal ports need no pin: each gateway process binds its own and announces it to the registers.
 */

/** What a child bound, port 0 resolved: the register's address, or a gateway's listener URLs (config order) and internal address. */
export interface BoundAddresses {
  register?: string;
  listeners?: string[];
  internal?: string;
}

/** Addresses the supervisor pinned (only those configured with port 0). */
export interface PinnedAddresses {
  register?: string;
  /** By position in gateway.listen. */
  listeners?: (string | undefined)[];
}

function portOf(address: string): number | null {
  try {
    return parseAddress(address).port;
  } catch {
    return null;
  }
}

function urlPortIsZero(url: string): boolean {
  try {
    return new URL(url).port === '0';
  } catch {
    return false;
  }
}

/** Adds to `pinned` what `bound` resolves of the port-0 addresses in `config` and is not pinned yet. */
export function pin(config: Config, pinned: PinnedAddresses, bound: BoundAddresses): void {
  if (bound.register !== undefined && pinned.register === undefined && config.register !== undefined && portOf(config.register.listen) === 0) {
    pinned.register = bound.register;
  }
  const listen = config.gateway?.listen ?? [];
  if (config.gateway?.processes !== 1) return;
  if (bound.listeners === undefined || bound.listeners.length !== listen.length) return;
  const listeners = pinned.listeners ?? [];
  listen.forEach((l, i) => {
    if (listeners[i] === undefined && urlPortIsZero(l.url)) listeners[i] = bound.listeners?.[i];
  });
  pinned.listeners = listeners;
}

/** `config` with the pinned addresses in place of the port-0 ones (what children are given). */
export function withPinned(config: Config, pinned: PinnedAddresses): Config {
  const out: Config = { ...config };
  if (config.register !== undefined && pinned.register !== undefined) out.register = { ...config.register, listen: pinned.register };
  const listeners = pinned.listeners;
  if (config.gateway !== undefined && listeners !== undefined) {
    out.gateway = {
      ...config.gateway,
      listen: config.gateway.listen.map((l, i) => {
        const url = listeners[i];
        return url !== undefined && urlPortIsZero(l.url) ? { ...l, url } : l;
      }),
    };
  }
  return out;
}
