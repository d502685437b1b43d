import { packValue, unpackValue } from '@gateworker/protocol';
import { GatewayError, GatewayErrorCode } from './errors.js';

/**
 * Sessions are msgpack bytes of a plain object, stored as received. These helpers decode them
 * for queries and merge patches for UpdateSession.
 */

export type PlainObject = Record<string, unknown>;

/** msgpack of `{}`: what ClientClose carries for a client whose session was never set. */
export const EMPTY_SESSION: Uint8Array = packValue({});

/** Keys a merge never writes: they would reach the prototype chain. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export function isPlainObject(value: unknown): value is PlainObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Decodes session bytes; null (never set) is {}. Throws GW_ERR_INVALID_SESSION if not a plain object. */
export function decodeSession(bytes: Uint8Array | null): PlainObject {
  if (bytes === null) return {};
  let value: unknown;
  try {
    value = unpackValue(bytes);
  } catch (err) {
    throw new GatewayError(GatewayErrorCode.InvalidSession, 'session is not valid msgpack', { cause: err });
  }
  if (!isPlainObject(value)) throw new GatewayError(GatewayErrorCode.InvalidSession, 'session is not a plain object');
  return value;
}

/**
 * Deep merge of `patch` into `target` (mutated and returned): plain objects merge key by key,
 * anything else replaces. `__proto__`, `constructor` and `prototype` keys are ignored at every level.
 */
export function mergeInto(target: PlainObject, patch: PlainObject): PlainObject {
  for (const key of Object.keys(patch)) {
    if (FORBIDDEN_KEYS.has(key)) continue;
    const value = patch[key];
    const current = Object.prototype.hasOwnProperty.call(target, key) ? target[key] : undefined;
    if (isPlainObject(value)) {
      const base: PlainObject = isPlainObject(current) ? current : {};
      target[key] = mergeInto(base, value);
    } else {
      target[key] = value;
    }
  }
  return target;
}

/** UpdateSession at the gateway: returns the new session bytes (an owned buffer). */
export function mergeSession(current: Uint8Array | null, patchBytes: Uint8Array): Uint8Array {
  const patch = decodeSession(patchBytes);
  return packValue(mergeInto(decodeSession(current), patch));
}

/** A copy of session bytes that pins nothing (the input is usually a view into a link's read buffer). */
export function ownedSession(bytes: Uint8Array): Uint8Array {
  return Buffer.from(bytes);
}
