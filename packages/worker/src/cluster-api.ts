import {
  clientIdFor,
  decodeSession,
  encodeMessage,
  encodeSendToAll,
  encodeSendToClient,
  encodeSendToClients,
  encodeSendToGroups,
  encodeSendToUids,
  encodeSession,
  isPlainObject,
  Op,
  packValue,
  parseClientId,
  QueryKind,
} from '@gateworker/protocol';
import type { Message, QueryArgs } from '@gateworker/protocol';
import type { Logger } from '@gateworker/protocol/node';
import type {
  ClusterApi,
  ExcludeOptions,
  Key,
  NoOptions,
  OneOrMany,
  PartialResult,
  QueryAnswer,
  QueryOptions,
  SendData,
  Session,
  SessionPatch,
} from './cluster-api-types.js';
import type { LocalClients } from './dispatch.js';
import { InvalidClientIdError } from './errors.js';
import type { GatewayLinks, GatewayPeer } from './gateway-links.js';
import type { CommandStream } from './command-stream.js';
import { keyOf, toPayload } from './payload.js';
import type { Answer, QueryManager, QueryTarget } from './query.js';

/** What the cluster API runs on; a BusinessWorker and a GatewayClient each provide one. */
export interface ClusterTransport {
  readonly links: GatewayLinks;
  readonly queries: QueryManager;
  readonly logger: Logger;
  readonly queryTimeoutMs: number;
  /** A promise to await before using the links (GatewayClient's bounded readiness wait), or null when usable now. */
  whenUsable(): Promise<void> | null;
  /** Worker only: keeps the worker's copies of its clients in step with what it tells the gateways. */
  readonly local: LocalClients | null;
}

interface Routed {
  readonly gatewayId: string;
  readonly client: number;
}

function asList<T>(value: OneOrMany<T>): readonly T[] {
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

function parseId(id: string): Routed {
  const parsed = parseClientId(id);
  if (parsed === null) throw new InvalidClientIdError(id);
  return parsed;
}

/** Client ids grouped by their gateway. */
function byGateway(ids: readonly string[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const id of ids) {
    const { gatewayId, client } = parseId(id);
    const list = out.get(gatewayId);
    if (list === undefined) out.set(gatewayId, [client]);
    else list.push(client);
  }
  return out;
}

// ---- answer readers: a gateway's answer is unknown until checked ----

function fail(what: string): never {
  throw new TypeError(`expected ${what}`);
}

function readInt(v: unknown): number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : fail('a count');
}

function readStrings(v: unknown): string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string') ? v : fail('a list of strings');
}

/** Client numbers (or, tolerated, ids) → ids. */
function readClientIds(gatewayId: string, v: unknown): string[] {
  if (!Array.isArray(v)) fail('a list of clients');
  return v.map((c: unknown) => (typeof c === 'number' ? clientIdFor(gatewayId, c) : typeof c === 'string' ? c : fail('a client')));
}

function readSession(v: unknown): Session | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Uint8Array) return decodeSession(v);
  return isPlainObject(v) ? v : fail('a session');
}

function readSessions(gatewayId: string, v: unknown, into: Record<string, Session>): void {
  if (!isPlainObject(v)) fail('a map of sessions');
  for (const [key, value] of Object.entries(v)) {
    const id = /^\d+$/.test(key) ? clientIdFor(gatewayId, Number(key)) : key;
    into[id] = readSession(value) ?? {};
  }
}

const sum = (answers: readonly Answer[]): number => answers.reduce((n, a) => n + readInt(a.result), 0);
const union = (answers: readonly Answer[]): string[] => [...new Set(answers.flatMap((a) => readStrings(a.result)))];
const ids = (answers: readonly Answer[]): string[] => answers.flatMap((a) => readClientIds(a.gatewayId, a.result));
const sessions = (answers: readonly Answer[]): Record<string, Session> => {
  const out: Record<string, Session> = {};
  for (const a of answers) readSessions(a.gatewayId, a.result, out);
  return out;
};

/**
 * The cluster API over a set of gateway links. Commands for one client go to the gateway its id
 * names, with the gateway's local number; broadcasts and queries go to every listed gateway.
 * A malformed client id rejects with InvalidClientIdError. Commands travel on each gateway's
 * command stream: kept (bounded) while the gateway is unlinked and re-sent when it is back,
 * applied once; a command for a gateway no directory knows is dropped, counted and logged per
 * burst. Queries to an unknown or unlinked gateway name it as missing (isOnline answers false).
 */
export class ClusterApiImpl<S extends object = Session> implements ClusterApi<S> {
  constructor(private readonly transport: ClusterTransport) {}

  // ---- sends ----

  async sendToClient(id: OneOrMany<string>, data: SendData): Promise<void> {
    await this.usable();
    const { binary, payload } = toPayload(data);
    if (typeof id === 'string') {
      const { gatewayId, client } = parseId(id);
      this.streamTo(gatewayId)?.send(encodeSendToClient(client, binary, payload));
      return;
    }
    for (const [gatewayId, clients] of byGateway(asList(id))) {
      const stream = this.streamTo(gatewayId);
      if (stream === null) continue;
      const only = clients.length === 1 ? clients[0] : undefined;
      stream.send(only !== undefined ? encodeSendToClient(only, binary, payload) : encodeSendToClients(clients, binary, payload));
    }
  }

  async sendToAll(data: SendData, options?: ExcludeOptions): Promise<void> {
    await this.usable();
    const { binary, payload } = toPayload(data);
    const exclude = byGateway(options?.exclude === undefined ? [] : asList(options.exclude));
    let shared: Buffer | null = null;
    for (const peer of this.transport.links.all()) {
      const excluded = exclude.get(peer.gatewayId);
      if (excluded !== undefined) peer.stream.send(encodeSendToAll(excluded, binary, payload));
      else peer.stream.send((shared ??= encodeSendToAll([], binary, payload)));
    }
  }

  async sendToUid(uid: OneOrMany<Key>, data: SendData): Promise<void> {
    await this.usable();
    const { binary, payload } = toPayload(data);
    const uids = asList(uid).map((u) => keyOf(u, 'uid'));
    if (uids.length === 0) return;
    const frame = encodeSendToUids(uids, binary, payload);
    for (const peer of this.transport.links.all()) peer.stream.send(frame);
  }

  async sendToGroup(group: OneOrMany<Key>, data: SendData, options?: ExcludeOptions): Promise<void> {
    await this.usable();
    const { binary, payload } = toPayload(data);
    const groups = asList(group).map((g) => keyOf(g, 'group'));
    if (groups.length === 0) return;
    const exclude = byGateway(options?.exclude === undefined ? [] : asList(options.exclude));
    let shared: Buffer | null = null;
    for (const peer of this.transport.links.all()) {
      const excluded = exclude.get(peer.gatewayId);
      if (excluded !== undefined) peer.stream.send(encodeSendToGroups(groups, excluded, binary, payload));
      else peer.stream.send((shared ??= encodeSendToGroups(groups, [], binary, payload)));
    }
  }

  // ---- commands ----

  async joinGroup(id: string, group: Key): Promise<void> {
    const g = keyOf(group, 'group');
    await this.command(id, 'joinGroup', (client) => ({ op: Op.JoinGroup, client, group: g }));
  }

  async leaveGroup(id: string, group: Key): Promise<void> {
    const g = keyOf(group, 'group');
    await this.command(id, 'leaveGroup', (client) => ({ op: Op.LeaveGroup, client, group: g }));
  }

  async ungroup(group: Key): Promise<void> {
    const g = keyOf(group, 'group');
    await this.usable();
    const frame = encodeMessage({ op: Op.Ungroup, group: g });
    for (const peer of this.transport.links.all()) peer.stream.send(frame);
  }

  async bindUid(id: string, uid: Key): Promise<void> {
    const u = keyOf(uid, 'uid');
    const sent = await this.command(id, 'bindUid', (client) => ({ op: Op.BindUid, client, uid: u }));
    if (sent !== null) this.transport.local?.uidChanged(sent.gatewayId, sent.client, u);
  }

  async unbindUid(id: string): Promise<void> {
    const sent = await this.command(id, 'unbindUid', (client) => ({ op: Op.UnbindUid, client }));
    if (sent !== null) this.transport.local?.uidChanged(sent.gatewayId, sent.client, null);
  }

  async closeClient(id: string, data?: SendData): Promise<void> {
    const p = data === undefined ? null : toPayload(data);
    await this.command(id, 'closeClient', (client) => ({ op: Op.CloseClient, client, data: p?.payload ?? null, binary: p?.binary ?? false }));
  }

  async setSession(id: string, session: S): Promise<void> {
    if (!isPlainObject(session)) throw new TypeError('setSession: the session must be a plain object');
    const bytes = encodeSession(session);
    const sent = await this.command(id, 'setSession', (client) => ({ op: Op.SetSession, client, session: bytes }));
    if (sent !== null) this.transport.local?.sessionSet(sent.gatewayId, sent.client, bytes);
  }

  async updateSession(id: string, patch: SessionPatch<S>): Promise<void> {
    if (!isPlainObject(patch)) throw new TypeError('updateSession: the patch must be a plain object');
    const bytes = Buffer.from(packValue(patch));
    const sent = await this.command(id, 'updateSession', (client) => ({ op: Op.UpdateSession, client, patch: bytes }));
    if (sent !== null) this.transport.local?.sessionUpdated(sent.gatewayId, sent.client, bytes);
  }

  // ---- queries ----

  isOnline<const O extends QueryOptions = NoOptions>(id: string, options?: O): Promise<QueryAnswer<boolean, O>> {
    return this.askOne('isOnline', id, QueryKind.IsOnline, false, (v) => v === true, options);
  }

  async isUidOnline<const O extends QueryOptions = NoOptions>(uid: Key, options?: O): Promise<QueryAnswer<boolean, O>> {
    const u = keyOf(uid, 'uid');
    return this.askAll('isUidOnline', QueryKind.ClientIdsByUids, { uids: [u] }, (a) => ids(a).length > 0, options);
  }

  async getClientIdsByUid<const O extends QueryOptions = NoOptions>(uid: Key, options?: O): Promise<QueryAnswer<string[], O>> {
    const u = keyOf(uid, 'uid');
    return this.askAll('getClientIdsByUid', QueryKind.ClientIdsByUids, { uids: [u] }, ids, options);
  }

  getUidByClientId<const O extends QueryOptions = NoOptions>(id: string, options?: O): Promise<QueryAnswer<string | null, O>> {
    return this.askOne('getUidByClientId', id, QueryKind.GetUidByClientId, null, (v) => (typeof v === 'string' ? v : null), options);
  }

  getSession<const O extends QueryOptions = NoOptions>(id: string, options?: O): Promise<QueryAnswer<S | null, O>> {
    return this.askOne('getSession', id, QueryKind.GetSession, null, readSession as (v: unknown) => S | null, options);
  }

  getAllClientCount<const O extends QueryOptions = NoOptions>(options?: O): Promise<QueryAnswer<number, O>> {
    return this.askAll('getAllClientCount', QueryKind.ClientCount, null, sum, options);
  }

  async getClientCountByGroup<const O extends QueryOptions = NoOptions>(group: Key, options?: O): Promise<QueryAnswer<number, O>> {
    const g = keyOf(group, 'group');
    return this.askAll('getClientCountByGroup', QueryKind.ClientCountByGroup, { group: g }, sum, options);
  }

  async getClientIdsByGroup<const O extends QueryOptions = NoOptions>(group: Key, options?: O): Promise<QueryAnswer<string[], O>> {
    const g = keyOf(group, 'group');
    return this.askAll('getClientIdsByGroup', QueryKind.ClientIdsByGroup, { group: g }, ids, options);
  }

  getAllGroupIds<const O extends QueryOptions = NoOptions>(options?: O): Promise<QueryAnswer<string[], O>> {
    return this.askAll('getAllGroupIds', QueryKind.GroupIds, null, union, options);
  }

  getAllUids<const O extends QueryOptions = NoOptions>(options?: O): Promise<QueryAnswer<string[], O>> {
    return this.askAll('getAllUids', QueryKind.Uids, null, union, options);
  }

  async getUidCountByGroup<const O extends QueryOptions = NoOptions>(group: Key, options?: O): Promise<QueryAnswer<number, O>> {
    const g = keyOf(group, 'group');
    // A uid may have clients on several gateways: count distinct uids, not per-gateway counts.
    return this.askAll('getUidCountByGroup', QueryKind.UidsByGroup, { group: g }, (a) => union(a).length, options);
  }

  async getClientSessionsByGroup<const O extends QueryOptions = NoOptions>(group: Key, options?: O): Promise<QueryAnswer<Record<string, S>, O>> {
    const g = keyOf(group, 'group');
    return this.askAll(
      'getClientSessionsByGroup',
      QueryKind.ClientSessionsByGroup,
      { group: g },
      sessions as (a: readonly Answer[]) => Record<string, S>,
      options,
    );
  }

  getAllClientSessions<const O extends QueryOptions = NoOptions>(options?: O): Promise<QueryAnswer<Record<string, S>, O>> {
    return this.askAll('getAllClientSessions', QueryKind.AllClientSessions, null, sessions as (a: readonly Answer[]) => Record<string, S>, options);
  }

  // ---- GatewayWorker parity: the same wire queries, merged differently ----

  getAllUidCount<const O extends QueryOptions = NoOptions>(options?: O): Promise<QueryAnswer<number, O>> {
    return this.askAll('getAllUidCount', QueryKind.Uids, null, (a) => union(a).length, options);
  }

  async getUidListByGroup<const O extends QueryOptions = NoOptions>(group: Key, options?: O): Promise<QueryAnswer<string[], O>> {
    const g = keyOf(group, 'group');
    return this.askAll('getUidListByGroup', QueryKind.UidsByGroup, { group: g }, union, options);
  }

  getAllGroupCount<const O extends QueryOptions = NoOptions>(options?: O): Promise<QueryAnswer<number, O>> {
    return this.askAll('getAllGroupCount', QueryKind.GroupIds, null, (a) => union(a).length, options);
  }

  /** One ClientIdsByUids query per uid (the reply does not say which uid a client id is bound to), in parallel. */
  async isUidsOnline<const O extends QueryOptions = NoOptions>(uids: readonly Key[], options?: O): Promise<QueryAnswer<Record<string, boolean>, O>> {
    const keys = uids.map((u) => keyOf(u, 'uid'));
    const answers = await Promise.all(
      keys.map((u) => this.askAll('isUidsOnline', QueryKind.ClientIdsByUids, { uids: [u] }, (a) => ids(a).length > 0, options)),
    );
    const out: Record<string, boolean> = {};
    const missing = new Set<string>();
    let partial = false;
    answers.forEach((answer, i) => {
      const value = answer;
      if (typeof value === 'object') {
        partial = true;
        value.missing.forEach((m) => missing.add(m));
        out[keys[i] as string] = value.result;
      } else {
        out[keys[i] as string] = value;
      }
    });
    return (partial ? { partial: true, missing: [...missing], result: out } : out) as QueryAnswer<Record<string, boolean>, O>;
  }

  // ---- plumbing ----

  private async usable(): Promise<void> {
    const wait = this.transport.whenUsable();
    if (wait !== null) await wait;
  }

  /**
   * The command stream to a gateway (linked or not: commands wait for the link, bounded), or null
   * when no directory knows the gateway: it is gone for good (a restarted gateway has a new id, so
   * its old clients are gone too). Such a command is dropped, counted and logged per burst.
   */
  private streamTo(gatewayId: string): CommandStream | null {
    const peer = this.transport.links.peer(gatewayId);
    if (peer !== undefined) return peer.stream;
    this.transport.links.dropForUnknown(gatewayId);
    return null;
  }

  /** Sends a one-client command; resolves with where it went, or null when it was dropped. */
  private async command(id: string, _what: string, build: (client: number) => Message): Promise<Routed | null> {
    const routed = parseId(id);
    await this.usable();
    const stream = this.streamTo(routed.gatewayId);
    if (stream === null) return null;
    stream.sendMessage(build(routed.client));
    return routed;
  }

  private async askOne<T, O extends QueryOptions>(
    name: string,
    id: string,
    kind: ClientQueryKind,
    unknownGateway: T,
    read: (v: unknown) => T,
    options: O | undefined,
  ): Promise<QueryAnswer<T, O>> {
    const { gatewayId, client } = parseId(id);
    await this.usable();
    const peer = this.transport.links.peer(gatewayId);
    if (peer === undefined) return unknownGateway; // the gateway is gone, so is the client
    const merge = (answers: readonly Answer[]): T => (answers[0] === undefined ? unknownGateway : read(answers[0].result));
    return this.run(name, [targetOf(peer)], kind, { client }, merge, options);
  }

  private async askAll<K extends QueryKind, T, O extends QueryOptions>(
    name: string,
    kind: K,
    args: QueryArgs<K>,
    merge: (answers: readonly Answer[]) => T,
    options: O | undefined,
  ): Promise<QueryAnswer<T, O>> {
    await this.usable();
    return this.run(name, [...this.transport.links.all()].map(targetOf), kind, args, merge, options);
  }

  private run<K extends QueryKind, T, O extends QueryOptions>(
    name: string,
    targets: QueryTarget[],
    kind: K,
    args: QueryArgs<K>,
    merge: (answers: readonly Answer[]) => T,
    options: O | undefined,
  ): Promise<QueryAnswer<T, O>> {
    const timeoutMs = options?.timeoutMs ?? this.transport.queryTimeoutMs;
    const partial = options?.partial === true;
    const answer: Promise<T | PartialResult<T>> = this.transport.queries.ask(targets, kind, args, { name, timeoutMs, partial }, merge);
    return answer as Promise<QueryAnswer<T, O>>;
  }
}

/** The query kinds about one client, asked of its gateway only (`{ client }` arguments). */
type ClientQueryKind = { [K in QueryKind]: QueryArgs<K> extends { client: number } ? K : never }[QueryKind];

function targetOf(peer: GatewayPeer): QueryTarget {
  return { gatewayId: peer.gatewayId, label: peer.label, session: peer.session };
}
