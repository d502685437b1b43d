import { encodeSession, isEmptySessionBytes, type SessionObject } from '@gateworker/protocol';

/**
 * Write-back detection. The codec (decode, encode, merge, its one failure behaviour) is
 * @gateworker/protocol's, shared with the gateway. The worker keeps the last bytes it knows per
 * client and detects changes by re-encoding the object and comparing bytes, which also catches
 * nested mutation.
 */

export function hasOwnKeys(obj: object): boolean {
  for (const key in obj) if (Object.prototype.hasOwnProperty.call(obj, key)) return true;
  return false;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

/**
 * The new bytes of `session` when it differs from `known`, else null. Skips the encoding when
 * the session was and stays empty (most clients of most apps never use one).
 */
export function changedSessionBytes(session: SessionObject, known: Uint8Array | null): Buffer | null {
  if (isEmptySessionBytes(known) && !hasOwnKeys(session)) return null;
  const bytes = encodeSession(session);
  if (known !== null ? bytesEqual(bytes, known) : isEmptySessionBytes(bytes)) return null;
  return bytes;
}
