import { describe, expect, it } from 'vitest';
import { decodeSession, encodeSession, packValue } from '@gateworker/protocol';
import { changedSessionBytes } from '../src/session.js';

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
});
