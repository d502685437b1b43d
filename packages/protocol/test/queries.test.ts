import { describe, expect, it } from 'vitest';
import { ErrorCode, ProtocolError, QueryKind, queryKindName, readQueryArgs, WireErrorCode } from '@gateworker/protocol';

function refusal(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtocolError) return err;
    throw err;
  }
  throw new Error('expected the arguments to be refused');
}

describe('query arguments', () => {
  it('reads each kind into the shape QuerySpec declares', () => {
    expect(readQueryArgs(QueryKind.IsOnline, { client: 7 })).toEqual({ client: 7 });
    expect(readQueryArgs(QueryKind.GetSession, { client: 2 ** 48 - 1 })).toEqual({ client: 2 ** 48 - 1 });
    expect(readQueryArgs(QueryKind.ClientIdsByUids, { uids: ['a', 'b'] })).toEqual({ uids: ['a', 'b'] });
    expect(readQueryArgs(QueryKind.UidsByGroup, { group: 'g' })).toEqual({ group: 'g' });
    for (const kind of [QueryKind.ClientCount, QueryKind.GroupIds, QueryKind.Uids, QueryKind.AllClientSessions]) {
      expect(readQueryArgs(kind, null)).toBeNull();
      expect(readQueryArgs(kind, { anything: 1 })).toBeNull();
    }
  });

  it('accepts a bare value in place of the one-field map, and { uid } for ClientIdsByUids', () => {
    expect(readQueryArgs(QueryKind.GetUidByClientId, 3)).toEqual({ client: 3 });
    expect(readQueryArgs(QueryKind.ClientCountByGroup, 'room')).toEqual({ group: 'room' });
    expect(readQueryArgs(QueryKind.ClientIdsByUids, 'u')).toEqual({ uids: ['u'] });
    expect(readQueryArgs(QueryKind.ClientIdsByUids, ['u', 'v'])).toEqual({ uids: ['u', 'v'] });
    expect(readQueryArgs(QueryKind.ClientIdsByUids, { uid: 'u' })).toEqual({ uids: ['u'] });
  });

  it('refuses arguments of the wrong shape with GW_ERR_INVALID_QUERY and its wire code, naming the kind', () => {
    const cases: [QueryKind, unknown, RegExp][] = [
      [QueryKind.IsOnline, { client: 'x' }, /^IsOnline query: args must be \{ client: number \}$/],
      [QueryKind.GetSession, { client: 0 }, /GetSession/],
      [QueryKind.GetSession, { client: 1.5 }, /GetSession/],
      [QueryKind.GetSession, null, /GetSession/],
      [QueryKind.ClientIdsByUids, { uids: ['a', 1] }, /^ClientIdsByUids query: args must be \{ uids: string\[\] \}$/],
      [QueryKind.ClientIdsByGroup, { nope: 1 }, /^ClientIdsByGroup query: args must be \{ group: string \}$/],
      [QueryKind.ClientSessionsByGroup, new Uint8Array([1]), /ClientSessionsByGroup/],
    ];
    for (const [kind, args, message] of cases) {
      const err = refusal(() => readQueryArgs(kind, args));
      expect(err.code).toBe(ErrorCode.InvalidQuery);
      expect(err.wire).toBe(WireErrorCode.InvalidQuery);
      expect(err.message).toMatch(message);
    }
  });

  it('names every kind', () => {
    for (const [name, kind] of Object.entries(QueryKind)) expect(queryKindName(kind)).toBe(name);
    expect(queryKindName(99)).toBe('query#99');
  });
});
