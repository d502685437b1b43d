import { CloseReasons, type Client } from './client.js';
import type { CommandContext } from './commands/index.js';

/**
 * Commands an in-process caller (a bus bridge) applies to this gateway's own clients, addressed
 * by gateway-local client numbers, uids and groups. The same effects as the worker commands of
 * the same names, without an internal link.
 */
export type LocalCommand =
  | { readonly op: 'sendToAll'; readonly payload: Uint8Array; readonly binary: boolean; readonly exclude?: readonly number[] }
  | { readonly op: 'sendToClients'; readonly clients: readonly number[]; readonly payload: Uint8Array; readonly binary: boolean }
  | { readonly op: 'sendToUids'; readonly uids: readonly string[]; readonly payload: Uint8Array; readonly binary: boolean }
  | {
      readonly op: 'sendToGroups';
      readonly groups: readonly string[];
      readonly payload: Uint8Array;
      readonly binary: boolean;
      readonly exclude?: readonly number[];
    }
  /** Sends `payload` (when not null) as the last message, then closes the client normally. */
  | { readonly op: 'closeClient'; readonly client: number; readonly payload: Uint8Array | null; readonly binary: boolean };

/** A uid or group of this gateway got its first holder (`present`) or lost its last one. */
export interface MembershipChange {
  readonly kind: 'uid' | 'group';
  readonly key: string;
  readonly present: boolean;
}

function excludeSet(exclude: readonly number[] | undefined): ReadonlySet<number> | null {
  return exclude === undefined || exclude.length === 0 ? null : new Set(exclude);
}

function openClients(ctx: CommandContext, nums: readonly number[]): Client[] {
  const out: Client[] = [];
  for (const num of nums) {
    const client = ctx.table.get(num);
    if (client !== undefined) out.push(client);
  }
  return out;
}

/** Applies one local command; returns how many client writes it made. */
export function applyLocalCommand(cmd: LocalCommand, ctx: CommandContext): number {
  const before = ctx.counters.messagesOut;
  switch (cmd.op) {
    case 'sendToAll':
      ctx.outbound.broadcast(ctx.table.values(), cmd.payload, cmd.binary, excludeSet(cmd.exclude));
      break;
    case 'sendToClients':
      // A number listed twice gets one copy.
      ctx.outbound.broadcast(new Set(openClients(ctx, cmd.clients)), cmd.payload, cmd.binary, null);
      break;
    case 'sendToUids': {
      // A client has at most one uid; a set also folds uids listed twice.
      const clients = new Set<Client>();
      for (const uid of cmd.uids) ctx.table.forEachOfUid(uid, (c) => clients.add(c));
      ctx.outbound.broadcast(clients, cmd.payload, cmd.binary, null);
      break;
    }
    case 'sendToGroups': {
      // A client in several of the groups gets the message once.
      const union = new Set<Client>();
      for (const group of cmd.groups) {
        const members = ctx.table.groupMembers(group);
        if (members !== undefined) for (const c of members) union.add(c);
      }
      ctx.outbound.broadcast(union, cmd.payload, cmd.binary, excludeSet(cmd.exclude));
      break;
    }
    case 'closeClient': {
      const client = ctx.table.get(cmd.client);
      if (client === undefined || !client.isOpen) return 0;
      ctx.closeClient(client, CloseReasons.Normal, cmd.payload === null ? null : client.transport.frame(cmd.payload, cmd.binary));
      return cmd.payload === null ? 0 : 1;
    }
  }
  return ctx.counters.messagesOut - before;
}
