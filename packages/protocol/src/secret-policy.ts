import { isLoopbackHost } from './address.js';

/**
 * The one rule for the shared secret of the internal links, applied by every place that takes
 * one (RegisterServer, RegisterClient, Gateway, and the CLI's config check): where a link may
 * leave the machine the secret must be strong; on loopback anything goes, the empty secret
 * included (a single-machine cluster needs no configuration).
 */

/** Fewest non-whitespace characters of a secret guarding a link that is not on loopback. */
export const MIN_SECRET_CHARS_OFF_LOOPBACK = 16;

/**
 * Why `secret` may not guard links to or from `host` (a host name or IP, brackets allowed), or
 * null when it may: `required`, or `must have at least 16 non-whitespace characters (has N)`.
 * The caller names the key and the address: `secret: required because register.listen
 * (10.0.0.5:1236) is not a loopback address`.
 */
export function secretPolicyProblem(secret: string, host: string): string | null {
  if (isLoopbackHost(host)) return null;
  if (secret === '') return 'required';
  const chars = secret.replace(/\s/g, '').length;
  if (chars >= MIN_SECRET_CHARS_OFF_LOOPBACK) return null;
  return `must have at least ${MIN_SECRET_CHARS_OFF_LOOPBACK} non-whitespace characters (has ${chars})`;
}
