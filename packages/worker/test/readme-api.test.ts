import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ClusterApiImpl } from '../src/cluster-api.js';
import type { ClusterApi } from '../src/cluster-api-types.js';

// The README's list of cluster API methods is what users read first: it must name every method
// of `ClusterApi` and nothing else. `satisfies` makes this list itself a compile-time check: a
// method added to (or removed from) the interface without updating it does not compile.
const METHODS = {
  sendToClient: 0,
  sendToAll: 0,
  sendToUid: 0,
  sendToGroup: 0,
  joinGroup: 0,
  leaveGroup: 0,
  ungroup: 0,
  bindUid: 0,
  unbindUid: 0,
  closeClient: 0,
  setSession: 0,
  updateSession: 0,
  isOnline: 0,
  isUidOnline: 0,
  getClientIdsByUid: 0,
  getUidByClientId: 0,
  getSession: 0,
  getAllClientCount: 0,
  getClientCountByGroup: 0,
  getClientIdsByGroup: 0,
  getAllGroupIds: 0,
  getAllUids: 0,
  getUidCountByGroup: 0,
  getClientSessionsByGroup: 0,
  getAllClientSessions: 0,
  getAllUidCount: 0,
  getUidListByGroup: 0,
  getAllGroupCount: 0,
  isUidsOnline: 0,
} as const satisfies Record<keyof ClusterApi, 0>;

const README = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');

describe('README cluster API list', () => {
  it('names every ClusterApi method once, and nothing else', () => {
    const text = README.replace(/\s+/g, ' ');
    const list = /the cluster API: (.*?) \(coming from GatewayWorker/.exec(text);
    expect(list, 'the README sentence listing the cluster API').not.toBeNull();
    const listed = [...list![1]!.matchAll(/`(\w+)`/g)].map(([, name]) => name!);
    expect(new Set(listed).size, 'a method is listed twice').toBe(listed.length);
    expect(listed.sort()).toEqual(Object.keys(METHODS).sort());
  });

  it('is implemented by the cluster API', () => {
    for (const name of Object.keys(METHODS))
      expect(typeof (ClusterApiImpl.prototype as unknown as Record<string, unknown>)[name], name).toBe('function');
  });
});
