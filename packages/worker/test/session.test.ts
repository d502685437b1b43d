import { describe, expect, it } from 'vitest';
import { packValue } from '@gateworker/protocol';
import { changedSessionBytes, decodeSession, encodeSession, isEmptySessionBytes, mergeSession } from '../src/session.js';

describe('session change detection', () => {
  it('skips empty sessions without encoding', () => {
    expect(changedSessionBytes({}, null)).toBe(null);
    expect(changedSessionBytes({}, packValue({}))).toBe(null);
  });

  it('detects a new key, a nested mutation and a removal', () => {
    const s: Record<string, unknown> = { user: { name: 'a', tags: ['x'] } };
    const known = encodeSession(s);
    expect(changedSessionBytes(s, known)).toBe(null);
    (s['user'] as { tags: string[] }).tags.push('y');
    const after = changedSessionBytes(s, known);
    expect(after).not.toBe(null);
    expect(decodeSession(after)).toEqual({ user: { name: 'a', tags: ['x', 'y'] } });
    expect(changedSessionBytes({}, known)).not.toBe(null);
  });

  it('reports a session that became non-empty', () => {
    const bytes = changedSessionBytes({ a: 1 }, null);
    expect(decodeSession(bytes)).toEqual({ a: 1 });
  });

  it('treats absent, zero-length and {} bytes as empty', () => {
    expect(isEmptySessionBytes(null)).toBe(true);
    expect(isEmptySessionBytes(new Uint8Array(0))).toBe(true);
    expect(isEmptySessionBytes(packValue({}))).toBe(true);
    expect(isEmptySessionBytes(packValue({ a: 1 }))).toBe(false);
    expect(decodeSession(packValue([1, 2]))).toEqual({});
  });
});

describe('mergeSession', () => {
  it('merges plain objects deeply and replaces everything else', () => {
    const target = { a: { b: 1, c: [1] }, d: 1 };
    mergeSession(target, { a: { c: [2], e: { f: 1 } }, d: null });
    expect(target).toEqual({ a: { b: 1, c: [2], e: { f: 1 } }, d: null });
  });

  it('ignores prototype-polluting keys', () => {
    const target: Record<string, unknown> = {};
    mergeSession(target, JSON.parse('{"__proto__": {"polluted": true}, "constructor": 1, "ok": 1}') as Record<string, unknown>);
    expect(({} as Record<string, unknown>)['polluted']).toBe(undefined);
    expect(target).toEqual({ ok: 1 });
  });
});
