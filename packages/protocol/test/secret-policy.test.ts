import { describe, expect, it } from 'vitest';
import { MIN_SECRET_CHARS_OFF_LOOPBACK, secretPolicyProblem } from '@gateworker/protocol';

// The one secret policy: RegisterServer, RegisterClient, Gateway and the CLI's config check all
// call secretPolicyProblem (their own tests only check that it is wired to the right key).
describe('secretPolicyProblem', () => {
  const strong = 'x'.repeat(MIN_SECRET_CHARS_OFF_LOOPBACK);

  it('allows any secret, the empty one included, on loopback', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', '0:0:0:0:0:0:0:1', 'localhost']) {
      expect(secretPolicyProblem('', host)).toBeNull();
      expect(secretPolicyProblem('s', host)).toBeNull();
    }
  });

  it('requires a secret off loopback (wildcards and names included)', () => {
    for (const host of ['10.0.0.5', '0.0.0.0', '::', 'fd77::22', '[fd77::22]', 'gw1.internal', '128.0.0.1']) {
      expect(secretPolicyProblem('', host)).toBe('required');
    }
  });

  it(`requires ${MIN_SECRET_CHARS_OFF_LOOPBACK} non-whitespace characters off loopback, counting what it has`, () => {
    expect(MIN_SECRET_CHARS_OFF_LOOPBACK).toBe(16);
    expect(secretPolicyProblem('x'.repeat(15), '10.0.0.5')).toBe('must have at least 16 non-whitespace characters (has 15)');
    expect(secretPolicyProblem(` ${'x'.repeat(15)}\t\n `, '10.0.0.5')).toBe('must have at least 16 non-whitespace characters (has 15)');
    expect(secretPolicyProblem(strong, '10.0.0.5')).toBeNull();
    expect(secretPolicyProblem(strong, '0.0.0.0')).toBeNull();
  });
});
