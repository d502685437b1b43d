/** The fields of a client record the table maintains. */
export interface TableEntry {
  readonly num: number;
  uid: string | null;
  groups: Set<string> | null;
}

/**
 * Called when a uid gets its first client on this table (`present` true) or loses its last one,
 * and when a group gets its first member or loses its last one.
 */
export type MembershipHook = (kind: 'uid' | 'group', key: string, present: boolean) => void;

/**
 * Clients by number, by uid and by group. Pure bookkeeping, no sockets.
 *
 * Invariants: every entry in an index is in `byNumber`; `byUid.get(u)` holds exactly the clients
 * whose `uid === u`; `byGroup.get(g)` exactly those whose `groups` has g; no index keeps an empty
 * entry. A uid usually has one client, so that case is stored without a Set.
 */
export class ClientTable<C extends TableEntry> {
  private readonly byNumber = new Map<number, C>();
  private readonly byUid = new Map<string, C | Set<C>>();
  private readonly byGroup = new Map<string, Set<C>>();
  /**
   * Membership transitions (first / last holder of a uid or group), for bus routing bindings.
   * Null unless someone listens; only index creation and deletion call it, never a send.
   */
  membership: MembershipHook | null = null;

  get size(): number {
    return this.byNumber.size;
  }

  get uidCount(): number {
    return this.byUid.size;
  }

  get groupCount(): number {
    return this.byGroup.size;
  }

  add(client: C): void {
    if (this.byNumber.has(client.num)) throw new Error(`client ${client.num} is already in the table`);
    this.byNumber.set(client.num, client);
    if (client.uid !== null) this.indexUid(client, client.uid);
    if (client.groups !== null) for (const g of client.groups) this.indexGroup(client, g);
  }

  get(num: number): C | undefined {
    return this.byNumber.get(num);
  }

  has(num: number): boolean {
    return this.byNumber.has(num);
  }

  /** Removes a client from every index. Its uid and groups stay on the record (onClose reads them). */
  remove(client: C): boolean {
    if (this.byNumber.get(client.num) !== client) return false;
    this.byNumber.delete(client.num);
    if (client.uid !== null) this.unindexUid(client, client.uid);
    if (client.groups !== null) for (const g of client.groups) this.unindexGroup(client, g);
    return true;
  }

  values(): IterableIterator<C> {
    return this.byNumber.values();
  }

  /** Binds `uid` to a client, replacing any previous uid (one uid per client). */
  bindUid(client: C, uid: string): void {
    if (client.uid === uid) return;
    if (client.uid !== null) this.unindexUid(client, client.uid);
    client.uid = uid;
    this.indexUid(client, uid);
  }

  unbindUid(client: C): void {
    if (client.uid === null) return;
    this.unindexUid(client, client.uid);
    client.uid = null;
  }

  joinGroup(client: C, group: string): void {
    if (client.groups === null) client.groups = new Set();
    else if (client.groups.has(group)) return;
    client.groups.add(group);
    this.indexGroup(client, group);
  }

  leaveGroup(client: C, group: string): void {
    if (client.groups === null || !client.groups.delete(group)) return;
    if (client.groups.size === 0) client.groups = null;
    this.unindexGroup(client, group);
  }

  /** Dissolves a group: every member leaves it. */
  ungroup(group: string): void {
    const members = this.byGroup.get(group);
    if (members === undefined) return;
    this.byGroup.delete(group);
    this.membership?.('group', group, false);
    for (const c of members) {
      if (c.groups === null) continue;
      c.groups.delete(group);
      if (c.groups.size === 0) c.groups = null;
    }
  }

  /** Calls `fn` for each client bound to `uid`. */
  forEachOfUid(uid: string, fn: (client: C) => void): void {
    const entry = this.byUid.get(uid);
    if (entry === undefined) return;
    if (entry instanceof Set) for (const c of entry) fn(c);
    else fn(entry);
  }

  clientsOfUid(uid: string): C[] {
    const out: C[] = [];
    this.forEachOfUid(uid, (c) => out.push(c));
    return out;
  }

  groupMembers(group: string): ReadonlySet<C> | undefined {
    return this.byGroup.get(group);
  }

  uids(): IterableIterator<string> {
    return this.byUid.keys();
  }

  groupIds(): IterableIterator<string> {
    return this.byGroup.keys();
  }

  private indexUid(client: C, uid: string): void {
    const entry = this.byUid.get(uid);
    if (entry === undefined) {
      this.byUid.set(uid, client);
      this.membership?.('uid', uid, true);
    } else if (entry instanceof Set) entry.add(client);
    else if (entry !== client) this.byUid.set(uid, new Set([entry, client]));
  }

  private unindexUid(client: C, uid: string): void {
    const entry = this.byUid.get(uid);
    if (entry === undefined) return;
    if (entry instanceof Set) {
      entry.delete(client);
      if (entry.size === 1) this.byUid.set(uid, entry.values().next().value as C);
      else if (entry.size === 0) this.deleteUid(uid);
    } else if (entry === client) {
      this.deleteUid(uid);
    }
  }

  private deleteUid(uid: string): void {
    this.byUid.delete(uid);
    this.membership?.('uid', uid, false);
  }

  private indexGroup(client: C, group: string): void {
    let members = this.byGroup.get(group);
    if (members === undefined) {
      this.byGroup.set(group, (members = new Set()));
      this.membership?.('group', group, true);
    }
    members.add(client);
  }

  private unindexGroup(client: C, group: string): void {
    const members = this.byGroup.get(group);
    if (members === undefined) return;
    members.delete(client);
    if (members.size === 0) {
      this.byGroup.delete(group);
      this.membership?.('group', group, false);
    }
  }
}
