import { packValue, unpackValue } from '@gateworker/protocol';
import { describe, expect, it } from 'vitest';
import { decodeSession, mergeInto, mergeSession } from '../src/session.js';

describe('session merge', () => {
  it('deep-merges plain objects and replaces everything else', () => {
    const merged = mergeInto({ a: 1, nested: { x: 1, y: { z: 1 } }, list: [1, 2] }, { b: 2, nested: { y: { w: 2 } }, list: [3] });
    expect(merged).toEqual({ a: 1, b: 2, nested: { x: 1, y: { z: 1, w: 2 } }, list: [3] });
  });

  it('ignores __proto__, constructor and prototype keys', () => {
    const patch = JSON.parse(
      '{"__proto__": {"polluted": true}, "constructor": {"x": 1}, "prototype": 1, "ok": {"__proto__": {"p": 1}, "v": 1}}',
    ) as Record<string, unknown>;
    const merged = mergeInto({}, patch);
    expect(merged).toEqual({ ok: { v: 1 } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
  });

  it('merges msgpack bytes (absent session = {})', () => {
    const once = mergeSession(null, packValue({ a: { b: 1 } }));
    expect(unpackValue(once)).toEqual({ a: { b: 1 } });
    expect(unpackValue(mergeSession(once, packValue({ a: { c: 2 } })))).toEqual({ a: { b: 1, c: 2 } });
  });

  it('rejects sessions and patches that are not plain objects', () => {
    expect(() => decodeSession(packValue([1, 2]))).toThrow(/plain object/);
    expect(() => mergeSession(null, packValue('str'))).toThrow(/plain object/);
    expect(() => decodeSession(Buffer.from([0xc1]))).toThrow();
    expect(decodeSession(null)).toEqual({});
  });
});
