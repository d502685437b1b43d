import {
  clientIdFor,
  decodeSession,
  Op,
  ProtocolError,
  QueryKind,
  readQueryArgs,
  type QueryArgs,
  type QueryResult,
  type SessionObject,
} from '@gateworker/protocol';
import type { Client } from '../client.js';
import type { CommandContext, CommandHandler } from './context.js';

/**
 * Queries, answered from this gateway's table only (the asker merges the gateways' answers).
 * Kinds, arguments and results are declared in @gateworker/protocol (`QueryKind`, `QuerySpec`);
 * the arguments are checked there (`readQueryArgs`: a bare value is accepted in place of the
 * one-field map), so each handler gets them typed and must answer its kind's result type.
 * Client ids are full ids (clientIdFor). A client that is gone answers null / false / empty.
 * Bad arguments answer with `error` set and `code` the wire code of GW_ERR_INVALID_QUERY.
 */

type QueryHandler<K extends QueryKind> = (args: QueryArgs<K>, ctx: CommandContext) => QueryResult<K>;

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

/** One handler per query kind, answering that kind's result type: a missing or mistyped one does not compile. */
const handlers: { readonly [K in QueryKind]: QueryHandler<K> } = {
  [QueryKind.IsOnline]: ({ client }, ctx) => ctx.table.has(client),
  [QueryKind.GetSession]: ({ client }, ctx) => {
    const c = ctx.table.get(client);
    return c === undefined ? null : sessionOf(c, ctx);
  },
  [QueryKind.GetUidByClientId]: ({ client }, ctx) => ctx.table.get(client)?.uid ?? null,
  [QueryKind.ClientIdsByUids]: ({ uids }, ctx) => {
    const ids: string[] = [];
    for (const uid of uids) ctx.table.forEachOfUid(uid, (c) => ids.push(clientIdFor(ctx.gatewayId, c.num)));
    return ids;
  },
  [QueryKind.ClientCount]: (_args, ctx) => ctx.table.size,
  [QueryKind.ClientCountByGroup]: ({ group }, ctx) => ctx.table.groupMembers(group)?.size ?? 0,
  [QueryKind.ClientIdsByGroup]: ({ group }, ctx) => {
    const members = ctx.table.groupMembers(group);
    return members === undefined ? [] : [...members].map((c) => clientIdFor(ctx.gatewayId, c.num));
  },
  [QueryKind.GroupIds]: (_args, ctx) => [...ctx.table.groupIds()],
  [QueryKind.Uids]: (_args, ctx) => [...ctx.table.uids()],
  [QueryKind.UidsByGroup]: ({ group }, ctx) => {
    const uids = new Set<string>();
    const members = ctx.table.groupMembers(group);
    if (members !== undefined) for (const c of members) if (c.uid !== null) uids.add(c.uid);
    return [...uids];
  },
  [QueryKind.ClientSessionsByGroup]: ({ group }, ctx) => sessionsOf(ctx.table.groupMembers(group), ctx),
  [QueryKind.AllClientSessions]: (_args, ctx) => sessionsOf(ctx.table.values(), ctx),
};

/** What a QueryReply carries besides its id: the result, or the error's text and wire code. */
export type QueryAnswer = { result: unknown; error: null } | { result: null; error: string; code: number };

/** Runs one query against the table. */
export function runQuery<K extends QueryKind>(kind: K, args: unknown, ctx: CommandContext): QueryAnswer {
  try {
    return { result: (handlers[kind] as QueryHandler<K>)(readQueryArgs(kind, args), ctx), error: null };
  } catch (err) {
    if (err instanceof ProtocolError && err.wire !== undefined) return { result: null, error: err.message, code: err.wire };
    throw err;
  }
}

export const query: CommandHandler<typeof Op.Query> = (m, from, ctx) => {
  ctx.counters.queries++;
  from.link.send({ op: Op.QueryReply, id: m.id, ...runQuery(m.kind, m.args, ctx) });
};
