/**
 * The cluster API: what `client.gateway`, `worker.gateway` and `GatewayClient` offer. Every method
 * is async. Sends and commands are fire-and-forget (they resolve once written to the links);
 * queries ask the gateways that can answer and merge the answers.
 */

/** Text (sent as a text frame / line) or bytes (sent as a binary frame / raw bytes). */
export type SendData = string | Uint8Array;
export type OneOrMany<T> = T | readonly T[];
/** Uids and groups are strings on the wire; numbers are converted with String(). */
export type Key = string | number;

export interface ExcludeOptions {
  /** Client ids that must not receive this send. */
  exclude?: OneOrMany<string> | undefined;
}

export interface QueryOptions {
  /** Give up on gateways that have not answered after this many ms (default: the queryTimeoutMs option). */
  timeoutMs?: number | undefined;
  /**
   * When some gateway does not answer: resolve with `{ partial: true, missing, result }` (the
   * merged answers of those that did) instead of rejecting with a QueryTimeoutError.
   */
  partial?: boolean | undefined;
}

/** What a query resolves to, with `partial: true`, when some gateways did not answer. */
export interface PartialResult<T> {
  partial: true;
  /** The gateways that did not answer, as `<gatewayId>@<address>`. */
  missing: string[];
  /** Merged from the gateways that answered. */
  result: T;
}

/**
 * A query's result type: the plain result, or — when the options may ask for partial results
 * (`partial: true`, or a `boolean` not known until run time) — possibly a PartialResult.
 */
export type QueryAnswer<T, O> = 'partial' extends keyof O ? (true extends O['partial' & keyof O] ? T | PartialResult<T> : T) : T;

export type NoOptions = Record<never, never>;

/**
 * A client's session as the gateway stores it: a plain object (msgpack-encoded on the wire). The
 * cluster API, `Client` and `defineHandler` take the session type as a parameter `S`; a
 * TypeScript `interface` works as well as a type alias.
 */
export type Session = Record<string, unknown>;

/** A patch for `updateSession`: any part of the session, nested objects merged key by key. */
export type SessionPatch<S> = { [K in keyof S]?: S[K] extends Record<string, unknown> ? SessionPatch<S[K]> | S[K] : S[K] };

export function isPartialResult<T>(value: T | PartialResult<T>): value is PartialResult<T> {
  return typeof value === 'object' && value !== null && (value as { partial?: unknown }).partial === true && 'missing' in value;
}

/** `S`: the session type (see Session); the default is an untyped plain object. */
export interface ClusterApi<S extends object = Session> {
  // Sends
  sendToClient(id: OneOrMany<string>, data: SendData): Promise<void>;
  sendToAll(data: SendData, options?: ExcludeOptions): Promise<void>;
  sendToUid(uid: OneOrMany<Key>, data: SendData): Promise<void>;
  sendToGroup(group: OneOrMany<Key>, data: SendData, options?: ExcludeOptions): Promise<void>;

  // Commands
  joinGroup(id: string, group: Key): Promise<void>;
  leaveGroup(id: string, group: Key): Promise<void>;
  ungroup(group: Key): Promise<void>;
  bindUid(id: string, uid: Key): Promise<void>;
  unbindUid(id: string): Promise<void>;
  closeClient(id: string, data?: SendData): Promise<void>;
  setSession(id: string, session: S): Promise<void>;
  /** Deep merge (plain objects only) into the stored session. */
  updateSession(id: string, patch: SessionPatch<S>): Promise<void>;

  // Queries
  isOnline<const O extends QueryOptions = NoOptions>(id: string, options?: O): Promise<QueryAnswer<boolean, O>>;
  isUidOnline<const O extends QueryOptions = NoOptions>(uid: Key, options?: O): Promise<QueryAnswer<boolean, O>>;
  getClientIdsByUid<const O extends QueryOptions = NoOptions>(uid: Key, options?: O): Promise<QueryAnswer<string[], O>>;
  getUidByClientId<const O extends QueryOptions = NoOptions>(id: string, options?: O): Promise<QueryAnswer<string | null, O>>;
  /** null when the client is not connected. */
  getSession<const O extends QueryOptions = NoOptions>(id: string, options?: O): Promise<QueryAnswer<S | null, O>>;
  getAllClientCount<const O extends QueryOptions = NoOptions>(options?: O): Promise<QueryAnswer<number, O>>;
  getClientCountByGroup<const O extends QueryOptions = NoOptions>(group: Key, options?: O): Promise<QueryAnswer<number, O>>;
  getClientIdsByGroup<const O extends QueryOptions = NoOptions>(group: Key, options?: O): Promise<QueryAnswer<string[], O>>;
  getAllGroupIds<const O extends QueryOptions = NoOptions>(options?: O): Promise<QueryAnswer<string[], O>>;
  getAllUids<const O extends QueryOptions = NoOptions>(options?: O): Promise<QueryAnswer<string[], O>>;
  getUidCountByGroup<const O extends QueryOptions = NoOptions>(group: Key, options?: O): Promise<QueryAnswer<number, O>>;
  getClientSessionsByGroup<const O extends QueryOptions = NoOptions>(group: Key, options?: O): Promise<QueryAnswer<Record<string, S>, O>>;
  getAllClientSessions<const O extends QueryOptions = NoOptions>(options?: O): Promise<QueryAnswer<Record<string, S>, O>>;

  // GatewayWorker parity (docs/gatewayworker-parity.md): counts and lists it offers under these names.
  /** Distinct bound uids across the cluster (GatewayWorker `getAllUidCount`). */
  getAllUidCount<const O extends QueryOptions = NoOptions>(options?: O): Promise<QueryAnswer<number, O>>;
  /** Distinct uids bound by the members of a group (GatewayWorker `getUidListByGroup`). */
  getUidListByGroup<const O extends QueryOptions = NoOptions>(group: Key, options?: O): Promise<QueryAnswer<string[], O>>;
  /** Groups with at least one member (the count of getAllGroupIds). */
  getAllGroupCount<const O extends QueryOptions = NoOptions>(options?: O): Promise<QueryAnswer<number, O>>;
  /** Whether any client is bound to each uid, one query for all (GatewayClient `isUidsOnline`). */
  isUidsOnline<const O extends QueryOptions = NoOptions>(uids: readonly Key[], options?: O): Promise<QueryAnswer<Record<string, boolean>, O>>;
}
