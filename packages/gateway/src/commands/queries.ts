import { clientIdFor, decodeSession, Op, QueryKind, type SessionObject } from '@gateworker/protocol';
import type { Client } from '../client.js';
import { GatewayError, GatewayErrorCode } from '../errors.js';
import type { CommandContext, CommandHandler } from './context.js';

/**
 * Queries, answered from this gateway's table only (the asker merges the gateways' answers).
 *
 * Arguments (`Query.args`), per kind — a bare value is accepted in place of the one-field map:
 *   IsOnline, GetSession, GetUidByClientId          { client: number }       (gateway-local number)
 *   ClientIdsByUids                                 { uids: string[] }       (or { uid: string })
 *   ClientCountByGroup, ClientIdsByGroup,
 *   UidsByGroup, ClientSessionsByGroup              { group: string }
 *   ClientCount, GroupIds, Uids, AllClientSessions  none (null)
 * Results: boolean | session object or null | uid or null | clientId[] (every client of any of
 * the uids) | number | clientId[] | string[] | { [clientId]: session object }.
 * Client ids are full ids (clientIdFor). A client that is gone answers null / false / empty.
 * Bad arguments answer with `error` set.
 */

type QueryHandler = (args: unknown, ctx: CommandContext) => unknown;

function badArgs(kind: string, expected: string): GatewayError {
  return new GatewayError(GatewayErrorCode.InvalidQuery, `${kind} query: args must be ${expected}`);
}

function field(args: unknown, key: string): unknown {
  if (typeof args === 'object' && args !== null && !Array.isArray(args) && !(args instanceof Uint8Array)) {
    return (args as Record<string, unknown>)[key];
  }
  return args;
}

function clientArg(args: unknown, kind: string): number {
  const v = field(args, 'client');
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw badArgs(kind, '{ client: number }');
  return v;
}

function groupArg(args: unknown, kind: string): string {
  const v = field(args, 'group');
  if (typeof v !== 'string') throw badArgs(kind, '{ group: string }');
  return v;
}

function uidsArg(args: unknown, kind: string): string[] {
  let v = field(args, 'uids');
  if (v === undefined) v = field(args, 'uid');
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v) || !v.every((u) => typeof u === 'string')) throw badArgs(kind, '{ uids: string[] }');
  return v;
}

function sessionOf(client: Client, ctx: CommandContext): SessionObject {
  try {
    return decodeSession(client.session);
  } catch (err) {
    ctx.log.warn({ client: client.num, err }, 'stored session does not decode: answering {}');
    return {};
  }
}

function sessionsOf(clients: Iterable<Client> | undefined, ctx: CommandContext): Record<string, SessionObject> {
  const out: Record<string, SessionObject> = {};
  if (clients !== undefined) for (const c of clients) out[clientIdFor(ctx.gatewayId, c.num)] = sessionOf(c, ctx);
  return out;
}

const handlers: { [K in QueryKind]: QueryHandler } = {
  [QueryKind.IsOnline]: (args, ctx) => ctx.table.has(clientArg(args, 'IsOnline')),
  [QueryKind.GetSession]: (args, ctx) => {
    const client = ctx.table.get(clientArg(args, 'GetSession'));
    return client === undefined ? null : sessionOf(client, ctx);
  },
  [QueryKind.GetUidByClientId]: (args, ctx) => ctx.table.get(clientArg(args, 'GetUidByClientId'))?.uid ?? null,
  [QueryKind.ClientIdsByUids]: (args, ctx) => {
    const ids: string[] = [];
    for (const uid of uidsArg(args, 'ClientIdsByUids')) ctx.table.forEachOfUid(uid, (c) => ids.push(clientIdFor(ctx.gatewayId, c.num)));
    return ids;
  },
  [QueryKind.ClientCount]: (_args, ctx) => ctx.table.size,
  [QueryKind.ClientCountByGroup]: (args, ctx) => ctx.table.groupMembers(groupArg(args, 'ClientCountByGroup'))?.size ?? 0,
  [QueryKind.ClientIdsByGroup]: (args, ctx) => {
    const members = ctx.table.groupMembers(groupArg(args, 'ClientIdsByGroup'));
    return members === undefined ? [] : [...members].map((c) => clientIdFor(ctx.gatewayId, c.num));
  },
  [QueryKind.GroupIds]: (_args, ctx) => [...ctx.table.groupIds()],
  [QueryKind.Uids]: (_args, ctx) => [...ctx.table.uids()],
  [QueryKind.UidsByGroup]: (args, ctx) => {
    const uids = new Set<string>();
    const members = ctx.table.groupMembers(groupArg(args, 'UidsByGroup'));
    if (members !== undefined) for (const c of members) if (c.uid !== null) uids.add(c.uid);
    return [...uids];
  },
  [QueryKind.ClientSessionsByGroup]: (args, ctx) => sessionsOf(ctx.table.groupMembers(groupArg(args, 'ClientSessionsByGroup')), ctx),
  [QueryKind.AllClientSessions]: (_args, ctx) => sessionsOf(ctx.table.values(), ctx),
};

/** Runs one query against the table: `{ result, error }` as a QueryReply carries them. */
export function runQuery(kind: QueryKind, args: unknown, ctx: CommandContext): { result: unknown; error: string | null } {
  try {
    return { result: handlers[kind](args, ctx), error: null };
  } catch (err) {
    if (err instanceof GatewayError) return { result: null, error: err.message };
    throw err;
  }
}

export const query: CommandHandler<typeof Op.Query> = (m, from, ctx) => {
  ctx.counters.queries++;
  const { result, error } = runQuery(m.kind, m.args, ctx);
  from.link.send({ op: Op.QueryReply, id: m.id, result, error });
};
