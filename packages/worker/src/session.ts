import { packValue, unpackValue } from '@gateworker/protocol';
import type { Session } from './cluster-api-types.js';

/**
 * Session helpers. The gateway stores a session as msgpack bytes of a plain object (absent =
 * `{}`); the worker keeps the last bytes it knows per client and detects changes by re-encoding
 * the object and comparing bytes, which also catches nested mutation.
 */

/** True for no bytes and for msgpack of `{}` (fixmap 0x80, or map16/map32 of size 0 as msgpackr writes it). */
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

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

export function hasOwnKeys(obj: object): boolean {
  for (const key in obj) if (Object.prototype.hasOwnProperty.call(obj, key)) return true;
  return false;
}

/** Decodes session bytes; anything but a map (corrupt data) reads as an empty session. */
export function decodeSession(bytes: Uint8Array | null): Session {
  if (isEmptySessionBytes(bytes)) return {};
  const value = unpackValue(bytes as Uint8Array);
  return isPlainObject(value) ? value : {};
}

/** Encodes a session into bytes the worker may keep (a copy, so no shared encoder buffer is pinned). */
export function encodeSession(session: Session): Buffer {
  return Buffer.from(packValue(session));
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

/**
 * The new bytes of `session` when it differs from `known`, else null. Skips the encoding when
 * the session was and stays empty (most clients of most apps never use one).
 */
export function changedSessionBytes(session: Session, known: Uint8Array | null): Buffer | null {
  if (isEmptySessionBytes(known) && !hasOwnKeys(session)) return null;
  const bytes = encodeSession(session);
  if (known !== null ? bytesEqual(bytes, known) : isEmptySessionBytes(bytes)) return null;
  return bytes;
}

const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Deep merge of `patch` into `target`, in place, as the gateway does for UpdateSession: plain
 * objects merge key by key, anything else replaces; `__proto__`, `constructor` and `prototype`
 * keys are ignored.
 */
export function mergeSession(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  for (const key of Object.keys(patch)) {
    if (UNSAFE_KEYS.has(key)) continue;
    const value = patch[key];
    const current = target[key];
    if (isPlainObject(value) && isPlainObject(current)) mergeSession(current, value);
    else if (isPlainObject(value)) target[key] = mergeSession({}, value);
    else target[key] = value;
  }
  return target;
}
