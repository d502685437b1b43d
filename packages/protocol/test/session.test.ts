import { describe, expect, it } from 'vitest';
import {
  decodeSession,
  EMPTY_SESSION_BYTES,
  encodeSession,
  ErrorCode,
  isEmptySessionBytes,
  mergeSessionBytes,
  mergeSessionPatch,
  packValue,
  ProtocolError,
  unpackValue,
} from '@gateworker/protocol';

/** The error a call throws (fails the test if it does not throw). */
function thrown(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return err as ProtocolError;
  }
  throw new Error('expected a throw');
}

describe('session codec (shared by the gateway and the worker)', () => {
  it('round-trips a session through bytes of its own', () => {
    const session = { user: { name: 'ann', rooms: ['r1', 'r2'] }, n: 3, nil: null };
    const bytes = encodeSession(session);
    expect(decodeSession(bytes)).toEqual(session);
    // Bytes of its own: later encodes do not change them.
    for (let i = 0; i < 100; i++) encodeSession({ other: 'x'.repeat(i) });
    expect(decodeSession(bytes)).toEqual(session);
  });

  it('reads no bytes, zero bytes and every msgpack form of {} as the empty session', () => {
    for (const bytes of [null, new Uint8Array(0), EMPTY_SESSION_BYTES, Buffer.from([0xde, 0, 0]), Buffer.from([0xdf, 0, 0, 0, 0])]) {
      expect(isEmptySessionBytes(bytes)).toBe(true);
      expect(decodeSession(bytes)).toEqual({});
    }
    expect(isEmptySessionBytes(packValue({ a: 1 }))).toBe(false);
  });

  it('throws GW_ERR_INVALID_SESSION for bytes that are not msgpack, naming the size and keeping the cause', () => {
    const err = thrown(() => decodeSession(Buffer.from([0xc1])));
    expect(err.code).toBe(ErrorCode.InvalidSession);
    expect(err.code).toBe('GW_ERR_INVALID_SESSION');
    expect(err.message).toMatch(/not valid msgpack \(1 bytes\)/);
    expect(err.cause).toBeInstanceOf(ProtocolError);
  });

  it('throws GW_ERR_INVALID_SESSION for msgpack that is not a plain object, saying what it is', () => {
    expect(thrown(() => decodeSession(packValue([1, 2]))).message).toMatch(/not a plain object \(msgpack of an array\)/);
    expect(thrown(() => decodeSession(packValue('str'))).message).toMatch(/msgpack of string/);
    expect(thrown(() => decodeSession(packValue(null))).message).toMatch(/msgpack of nil/);
    expect(thrown(() => decodeSession(packValue(Buffer.from('x')))).code).toBe(ErrorCode.InvalidSession);
  });

  it('deep-merges plain objects and replaces everything else', () => {
    const merged = mergeSessionPatch({ a: 1, nested: { x: 1, y: { z: 1 } }, list: [1, 2] }, { b: 2, nested: { y: { w: 2 } }, list: [3], a: null });
    expect(merged).toEqual({ a: null, b: 2, nested: { x: 1, y: { z: 1, w: 2 } }, list: [3] });
  });

  it('ignores __proto__, constructor and prototype keys at every level', () => {
    const patch = JSON.parse(
      '{"__proto__": {"polluted": true}, "constructor": {"x": 1}, "prototype": 1, "ok": {"__proto__": {"p": 1}, "v": 1}}',
    ) as Record<string, unknown>;
    const merged = mergeSessionPatch({}, patch);
    expect(merged).toEqual({ ok: { v: 1 } });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
  });

  it('does not merge into inherited properties (a patch key named like an Object.prototype member)', () => {
    expect(mergeSessionPatch({}, { toString: { a: 1 } })).toEqual({ toString: { a: 1 } });
  });

  it('merges bytes (never set = {}) into new bytes', () => {
    const once = mergeSessionBytes(null, packValue({ a: { b: 1 } }));
    expect(unpackValue(once)).toEqual({ a: { b: 1 } });
    expect(unpackValue(mergeSessionBytes(once, packValue({ a: { c: 2 } })))).toEqual({ a: { b: 1, c: 2 } });
  });

  it('refuses to merge a patch or a current session that does not decode (nothing is merged)', () => {
    expect(thrown(() => mergeSessionBytes(null, packValue('str'))).code).toBe(ErrorCode.InvalidSession);
    expect(thrown(() => mergeSessionBytes(Buffer.from([0xc1]), packValue({ a: 1 }))).code).toBe(ErrorCode.InvalidSession);
  });
});
