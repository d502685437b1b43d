import { describe, expect, it } from 'vitest';
import { ClientTable, type TableEntry } from '../src/client-table.js';

function entry(num: number): TableEntry {
  return { num, uid: null, groups: null };
}

describe('ClientTable', () => {
  it('adds, gets and removes clients by number', () => {
    const t = new ClientTable<TableEntry>();
    const a = entry(1);
    t.add(a);
    expect(t.get(1)).toBe(a);
    expect(t.size).toBe(1);
    expect(() => t.add(entry(1))).toThrow();
    expect(t.remove(a)).toBe(true);
    expect(t.remove(a)).toBe(false);
    expect(t.get(1)).toBeUndefined();
  });

  it('binds one uid per client, many clients per uid', () => {
    const t = new ClientTable<TableEntry>();
    const [a, b, c] = [entry(1), entry(2), entry(3)];
    for (const x of [a, b, c]) t.add(x);
    t.bindUid(a, 'u');
    t.bindUid(b, 'u');
    t.bindUid(c, 'v');
    expect(t.clientsOfUid('u')).toEqual([a, b]);
    expect(t.uidCount).toBe(2);
    t.bindUid(b, 'v'); // rebinding replaces
    expect(t.clientsOfUid('u')).toEqual([a]);
    expect(t.clientsOfUid('v')).toEqual([c, b]);
    t.unbindUid(a);
    expect(a.uid).toBeNull();
    expect(t.clientsOfUid('u')).toEqual([]);
    expect([...t.uids()]).toEqual(['v']);
  });

  it('keeps group indexes and drops empty groups', () => {
    const t = new ClientTable<TableEntry>();
    const [a, b] = [entry(1), entry(2)];
    t.add(a);
    t.add(b);
    t.joinGroup(a, 'g1');
    t.joinGroup(a, 'g1');
    t.joinGroup(a, 'g2');
    t.joinGroup(b, 'g1');
    expect(t.groupMembers('g1')?.size).toBe(2);
    expect(t.groupCount).toBe(2);
    t.leaveGroup(a, 'g2');
    expect(t.groupMembers('g2')).toBeUndefined();
    expect([...(a.groups ?? [])]).toEqual(['g1']);
    t.ungroup('g1');
    expect(t.groupCount).toBe(0);
    expect(a.groups).toBeNull();
    expect(b.groups).toBeNull();
    t.leaveGroup(a, 'nope');
  });

  it('removes a client from every index but keeps uid and groups on the record', () => {
    const t = new ClientTable<TableEntry>();
    const [a, b] = [entry(1), entry(2)];
    t.add(a);
    t.add(b);
    t.bindUid(a, 'u');
    t.bindUid(b, 'u');
    t.joinGroup(a, 'g');
    t.remove(a);
    expect(t.clientsOfUid('u')).toEqual([b]);
    expect(t.groupMembers('g')).toBeUndefined();
    expect(a.uid).toBe('u');
    expect(a.groups?.has('g')).toBe(true);
    t.remove(b);
    expect(t.uidCount).toBe(0);
    expect(t.size).toBe(0);
  });

  it('indexes uid and groups already set when a record is added', () => {
    const t = new ClientTable<TableEntry>();
    const a: TableEntry = { num: 5, uid: 'x', groups: new Set(['g']) };
    t.add(a);
    expect(t.clientsOfUid('x')).toEqual([a]);
    expect(t.groupMembers('g')?.has(a)).toBe(true);
  });
});
