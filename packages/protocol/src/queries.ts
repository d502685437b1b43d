import { ErrorCode, ProtocolError, WireErrorCode } from './errors.js';

/**
 * The queries a worker (or GatewayClient) may ask a gateway, declared once: their numbers, the
 * shape of their arguments and results (`QuerySpec`), and how a gateway reads the arguments
 * (`readQueryArgs`). The gateway's handler table and the cluster API are typed from these, so a
 * new kind without a handler, or a handler answering the wrong type, does not compile.
 */

/** Query kinds. Numbers are wire values: never renumbered, never reused. */
export const QueryKind = {
  IsOnline: 1,
  GetSession: 2,
  GetUidByClientId: 3,
  ClientIdsByUids: 4,
  ClientCount: 5,
  ClientCountByGroup: 6,
  ClientIdsByGroup: 7,
  GroupIds: 8,
  Uids: 9,
  UidsByGroup: 10,
  ClientSessionsByGroup: 11,
  AllClientSessions: 12,
} as const;
export type QueryKind = (typeof QueryKind)[keyof typeof QueryKind];

/**
 * Arguments and results of each query kind, as they travel in `Query.args` / `QueryReply.result`.
 * Arguments name clients by their gateway-local number; results name them by full client id.
 * Sessions are decoded plain objects. A gateway answers for its own clients only; the asker merges.
 */
export interface QuerySpec {
  [QueryKind.IsOnline]: { args: { client: number }; result: boolean };
  /** null when the client is not connected. */
  [QueryKind.GetSession]: { args: { client: number }; result: Record<string, unknown> | null };
  /** null when the client is not connected or has no uid. */
  [QueryKind.GetUidByClientId]: { args: { client: number }; result: string | null };
  /** Every client of any of the uids. */
  [QueryKind.ClientIdsByUids]: { args: { uids: string[] }; result: string[] };
  [QueryKind.ClientCount]: { args: null; result: number };
  [QueryKind.ClientCountByGroup]: { args: { group: string }; result: number };
  [QueryKind.ClientIdsByGroup]: { args: { group: string }; result: string[] };
  [QueryKind.GroupIds]: { args: null; result: string[] };
  /** Distinct uids bound on this gateway. */
  [QueryKind.Uids]: { args: null; result: string[] };
  /** Distinct uids of the group's members on this gateway. */
  [QueryKind.UidsByGroup]: { args: { group: string }; result: string[] };
  /** Client id → session. */
  [QueryKind.ClientSessionsByGroup]: { args: { group: string }; result: Record<string, Record<string, unknown>> };
  [QueryKind.AllClientSessions]: { args: null; result: Record<string, Record<string, unknown>> };
}
export type QueryArgs<K extends QueryKind> = QuerySpec[K]['args'];
export type QueryResult<K extends QueryKind> = QuerySpec[K]['result'];

const kindNames = new Map<number, string>(Object.entries(QueryKind).map(([name, kind]) => [kind, name]));

/** Human name of a query kind, for logs and errors. */
export function queryKindName(kind: number): string {
  return kindNames.get(kind) ?? `query#${kind}`;
}

/** Arguments that do not fit the kind: answered with `GW_ERR_INVALID_QUERY` (wire `InvalidQuery`), the link stays up. */
function badArgs(kind: QueryKind, expected: string): ProtocolError {
  return new ProtocolError(ErrorCode.InvalidQuery, `${queryKindName(kind)} query: args must be ${expected}`, { wire: WireErrorCode.InvalidQuery });
}

/** A one-field map's field; a bare value is accepted in place of the map. */
function field(args: unknown, key: string): unknown {
  if (typeof args === 'object' && args !== null && !Array.isArray(args) && !(args instanceof Uint8Array)) {
    return (args as Record<string, unknown>)[key];
  }
  return args;
}

function clientArg(kind: QueryKind): (args: unknown) => { client: number } {
  return (args) => {
    const v = field(args, 'client');
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw badArgs(kind, '{ client: number }');
    return { client: v };
  };
}

function groupArg(kind: QueryKind): (args: unknown) => { group: string } {
  return (args) => {
    const v = field(args, 'group');
    if (typeof v !== 'string') throw badArgs(kind, '{ group: string }');
    return { group: v };
  };
}

/** `{ uids: string[] }`, or `{ uid: string }`, or a bare string or list. */
function uidsArg(args: unknown): { uids: string[] } {
  let v = field(args, 'uids');
  if (v === undefined) v = field(args, 'uid');
  if (typeof v === 'string') return { uids: [v] };
  if (!Array.isArray(v) || !v.every((u) => typeof u === 'string')) throw badArgs(QueryKind.ClientIdsByUids, '{ uids: string[] }');
  return { uids: v };
}

/** Kinds without arguments ignore whatever was sent. */
const none = (): null => null;

const argReaders: { readonly [K in QueryKind]: (args: unknown) => QueryArgs<K> } = {
  [QueryKind.IsOnline]: clientArg(QueryKind.IsOnline),
  [QueryKind.GetSession]: clientArg(QueryKind.GetSession),
  [QueryKind.GetUidByClientId]: clientArg(QueryKind.GetUidByClientId),
  [QueryKind.ClientIdsByUids]: uidsArg,
  [QueryKind.ClientCount]: none,
  [QueryKind.ClientCountByGroup]: groupArg(QueryKind.ClientCountByGroup),
  [QueryKind.ClientIdsByGroup]: groupArg(QueryKind.ClientIdsByGroup),
  [QueryKind.GroupIds]: none,
  [QueryKind.Uids]: none,
  [QueryKind.UidsByGroup]: groupArg(QueryKind.UidsByGroup),
  [QueryKind.ClientSessionsByGroup]: groupArg(QueryKind.ClientSessionsByGroup),
  [QueryKind.AllClientSessions]: none,
};

/**
 * Checks a query's decoded arguments (`unknown` until here) against its kind. Throws a
 * ProtocolError `GW_ERR_INVALID_QUERY` with its wire code, which the gateway answers with.
 */
export function readQueryArgs<K extends QueryKind>(kind: K, args: unknown): QueryArgs<K> {
  return argReaders[kind](args);
}
