import { packValue, unpackValue } from './codec.js';
import { ErrorCode, ProtocolError } from './errors.js';

/**
 * The session codec, the one the gateway and the worker share. A session is msgpack of a plain
 * object; no bytes (null) or an empty map is the empty session. The gateway stores the bytes as
 * they arrive (checked with decodeSession) and merges UpdateSession patches (mergeSessionBytes);
 * the worker decodes them for handlers and writes changes back (encodeSession).
 *
 * One failure behaviour: bytes that are not msgpack of a plain object throw a ProtocolError with
 * code GW_ERR_INVALID_SESSION saying what they hold (its `cause` is the msgpack error, if any).
 * Nothing here reads them as `{}`: that would pass an empty session to a handler, which would then
 * write it back over what the gateway holds. Callers keep what they have instead (see the gateway's
 * SetSession / UpdateSession handlers and the worker's dispatch).
 */

export type SessionObject = Record<string, unknown>;

/** msgpack of `{}`: what ClientClose carries for a client whose session was never set. */
export const EMPTY_SESSION_BYTES: Uint8Array = packValue({});

/** Keys a merge never writes: they would reach the prototype chain. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** An object made by `{}` or `Object.create(null)`: not an array, a buffer, a date or a class instance. */
export function isPlainObject(value: unknown): value is SessionObject {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** True for no bytes and for msgpack of `{}` (fixmap 0x80, or map16/map32 of size 0). Decodes nothing. */
export function isEmptySessionBytes(bytes: Uint8Array | null): boolean {
  if (bytes === null || bytes.length === 0) return true;
  switch (bytes.length) {
    case 1:
      return bytes[0] === 0x80;
    case 3:
      return bytes[0] === 0xde && bytes[1] === 0 && bytes[2] === 0;
    case 5:
      return bytes[0] === 0xdf && bytes[1] === 0 && bytes[2] === 0 && bytes[3] === 0 && bytes[4] === 0;
    default:
      return false;
  }
}

/** Decodes session bytes (null or empty: `{}`). Throws GW_ERR_INVALID_SESSION when they are not msgpack of a plain object. */
export function decodeSession(bytes: Uint8Array | null): SessionObject {
  if (isEmptySessionBytes(bytes)) return {};
  let value: unknown;
  try {
    value = unpackValue(bytes as Uint8Array);
  } catch (err) {
    throw new ProtocolError(ErrorCode.InvalidSession, `session is not valid msgpack (${(bytes as Uint8Array).length} bytes)`, { cause: err });
  }
  if (!isPlainObject(value)) {
    const what = value === null ? 'nil' : Array.isArray(value) ? 'an array' : typeof value;
    throw new ProtocolError(ErrorCode.InvalidSession, `session is not a plain object (msgpack of ${what})`);
  }
  return value;
}

/** Encodes a session into bytes of its own (a copy: no shared encoder buffer is pinned by a stored session). */
export function encodeSession(session: SessionObject): Buffer {
  return Buffer.from(packValue(session));
}

/**
 * Deep merge of `patch` into `target` (mutated and returned), as UpdateSession means it: plain
 * objects merge key by key, anything else replaces. `__proto__`, `constructor` and `prototype`
 * keys are ignored at every level.
 */
export function mergeSessionPatch(target: SessionObject, patch: SessionObject): SessionObject {
  for (const key of Object.keys(patch)) {
    if (FORBIDDEN_KEYS.has(key)) continue;
    const value = patch[key];
    const current = Object.prototype.hasOwnProperty.call(target, key) ? target[key] : undefined;
    if (isPlainObject(value)) target[key] = mergeSessionPatch(isPlainObject(current) ? current : {}, value);
    else target[key] = value;
  }
  return target;
}

/**
 * UpdateSession on bytes: `current` (null = never set) merged with the patch, as new bytes of
 * their own. Throws GW_ERR_INVALID_SESSION if either does not decode (nothing is merged then).
 */
export function mergeSessionBytes(current: Uint8Array | null, patchBytes: Uint8Array): Buffer {
  const patch = decodeSession(patchBytes);
  return encodeSession(mergeSessionPatch(decodeSession(current), patch));
}
