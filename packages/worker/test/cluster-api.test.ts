import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  clientIdFor,
  decodeMessage,
  ErrorCode,
  FRAME_PREFIX_BYTES,
  Op,
  packValue,
  ProtocolError,
  QueryKind,
  WireErrorCode,
} from '@gateworker/protocol';
import type { Message, QueryMsg } from '@gateworker/protocol';
import { silentLogger } from '@gateworker/protocol/node';
import { ClusterApiImpl } from '../src/cluster-api.js';
import { isPartialResult, type PartialResult, type QueryOptions } from '../src/cluster-api-types.js';
import { InvalidClientIdError, QueryFailedError, QueryTimeoutError, WorkerErrorCode } from '../src/errors.js';
import type { GatewayLinks } from '../src/gateway-links.js';
import type { LinkSession } from '../src/link-session.js';
import { QueryManager } from '../src/query.js';
import { eventually } from '../../../test/helpers/wait.js';

const GA = '00000000000a';
const GB = '00000000000b';
const GC = '00000000000c';

type Answerer = (q: QueryMsg) => { result: unknown; error?: string; code?: number } | 'silent';

interface FakeGateway {
  gatewayId: string;
  label: string;
  session: (LinkSession & { sent: Message[] }) | null;
  /** The command stream: what it carried (written on the session, or held while unlinked). */
  stream: { carried: Message[]; send(frame: Buffer): void; sendMessage(m: Message): void };
}

function cluster(answerers: Record<string, Answerer | null>) {
  const queries = new QueryManager();
  const peers = new Map<string, FakeGateway>();
  for (const [gatewayId, answer] of Object.entries(answerers)) {
    const sent: Message[] = [];
    const session =
      answer === null
        ? null
        : ({
            gatewayId,
            alive: true,
            sent,
            send(frame: Buffer) {
              sent.push(decodeMessage(frame.subarray(FRAME_PREFIX_BYTES)));
              return true;
            },
            sendMessage(m: Message) {
              sent.push(m);
              if (m.op === Op.Query) {
                const reply = answer(m);
                if (reply !== 'silent') {
                  setImmediate(() =>
                    queries.onReply(session as LinkSession, {
                      op: Op.QueryReply,
                      id: m.id,
                      result: reply.result,
                      error: reply.error ?? null,
                      ...(reply.code !== undefined && { code: reply.code }),
                    }),
                  );
                }
              }
              return true;
            },
          } as unknown as LinkSession & { sent: Message[] });
    const carried: Message[] = session === null ? [] : sent;
    const stream = {
      carried,
      send: (frame: Buffer) => void carried.push(decodeMessage(frame.subarray(FRAME_PREFIX_BYTES))),
      sendMessage: (m: Message) => void carried.push(m),
    };
    peers.set(gatewayId, { gatewayId, label: `${gatewayId}@127.0.0.1:${gatewayId.slice(-1)}`, session, stream });
  }
  const droppedFor: string[] = [];
  const links = {
    peer: (id: string) => peers.get(id),
    all: () => peers.values(),
    dropForUnknown: (id: string) => droppedFor.push(id),
    droppedFor,
  } as unknown as GatewayLinks & { droppedFor: string[] };
  const api = new ClusterApiImpl({ links, queries, logger: silentLogger, queryTimeoutMs: 200, whenUsable: () => null, local: null });
  return { api, peers, queries, links };
}

const byKind =
  (answers: Partial<Record<number, unknown>>): Answerer =>
  (q) =>
    q.kind in answers ? { result: answers[q.kind] } : 'silent';

describe('query merging', () => {
  it('sums counts, unions lists and maps client numbers to ids', async () => {
    const { api } = cluster({
      [GA]: byKind({
        [QueryKind.ClientCount]: 2,
        [QueryKind.ClientIdsByGroup]: [1, 2],
        [QueryKind.GroupIds]: ['x', 'y'],
        [QueryKind.UidsByGroup]: ['u1', 'u2'],
      }),
      [GB]: byKind({
        [QueryKind.ClientCount]: 3,
        [QueryKind.ClientIdsByGroup]: [7],
        [QueryKind.GroupIds]: ['y', 'z'],
        [QueryKind.UidsByGroup]: ['u2'],
      }),
    });
    expect(await api.getAllClientCount()).toBe(5);
    expect(await api.getClientIdsByGroup('g')).toEqual([clientIdFor(GA, 1), clientIdFor(GA, 2), clientIdFor(GB, 7)]);
    expect((await api.getAllGroupIds()).sort()).toEqual(['x', 'y', 'z']);
    expect(await api.getUidCountByGroup('g')).toBe(2);
  });

  it('decodes sessions and keys them by client id', async () => {
    const { api } = cluster({
      [GA]: byKind({ [QueryKind.AllClientSessions]: { 1: packValue({ a: 1 }), 2: packValue({}) } }),
      [GB]: byKind({ [QueryKind.AllClientSessions]: { 3: packValue({ b: [1] }) } }),
    });
    expect(await api.getAllClientSessions()).toEqual({ [clientIdFor(GA, 1)]: { a: 1 }, [clientIdFor(GA, 2)]: {}, [clientIdFor(GB, 3)]: { b: [1] } });
  });

  it('accepts the answers as the gateway gives them: full client ids and session objects', async () => {
    const { api } = cluster({
      [GA]: byKind({
        [QueryKind.ClientIdsByUids]: [clientIdFor(GA, 3)],
        [QueryKind.ClientSessionsByGroup]: { [clientIdFor(GA, 3)]: { nick: 'x' } },
        [QueryKind.GetSession]: { nick: 'x' },
      }),
      [GB]: byKind({ [QueryKind.ClientIdsByUids]: [], [QueryKind.ClientSessionsByGroup]: {} }),
    });
    expect(await api.getClientIdsByUid('u')).toEqual([clientIdFor(GA, 3)]);
    expect(await api.isUidOnline('u')).toBe(true);
    expect(await api.getClientSessionsByGroup('g')).toEqual({ [clientIdFor(GA, 3)]: { nick: 'x' } });
    expect(await api.getSession(clientIdFor(GA, 3))).toEqual({ nick: 'x' });
  });

  it('asks only the owning gateway for one client, with its local number', async () => {
    const { api, peers } = cluster({
      [GA]: byKind({ [QueryKind.IsOnline]: true, [QueryKind.GetSession]: packValue({ s: 1 }), [QueryKind.GetUidByClientId]: 'u9' }),
      [GB]: () => 'silent',
    });
    const id = clientIdFor(GA, 42);
    expect(await api.isOnline(id)).toBe(true);
    expect(await api.getSession(id)).toEqual({ s: 1 });
    expect(await api.getUidByClientId(id)).toBe('u9');
    expect(peers.get(GA)?.session?.sent[0]).toMatchObject({ op: Op.Query, kind: QueryKind.IsOnline, args: { client: 42 } });
    expect(peers.get(GB)?.session?.sent).toEqual([]);
  });

  it('answers for clients of unknown gateways without asking, and rejects malformed ids', async () => {
    const { api } = cluster({ [GA]: () => 'silent' });
    const gone = clientIdFor('0000000000zz', 1);
    expect(await api.isOnline(gone)).toBe(false);
    expect(await api.getSession(gone)).toBe(null);
    await expect(api.isOnline('nope')).rejects.toBeInstanceOf(InvalidClientIdError);
    await expect(api.getSession('nope')).rejects.toMatchObject({ code: 'GW_ERR_INVALID_CLIENT_ID' });
  });
});

describe('query timeouts and partial results', () => {
  it('rejects with a QueryTimeoutError naming the gateway that did not answer', async () => {
    const { api, queries } = cluster({ [GA]: byKind({ [QueryKind.ClientCount]: 1 }), [GB]: () => 'silent' });
    const err = await api.getAllClientCount({ timeoutMs: 30 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(QueryTimeoutError);
    expect(err).toMatchObject({ code: 'GW_ERR_QUERY_TIMEOUT', missing: [`${GB}@127.0.0.1:b`] });
    expect((err as Error).message).toContain(`${GB}@127.0.0.1:b`);
    expect(queries.size).toBe(0);
  });

  it('resolves with partial results when asked, and with the plain result when everyone answered', async () => {
    const { api } = cluster({ [GA]: byKind({ [QueryKind.ClientCount]: 4 }), [GB]: () => 'silent', [GC]: null });
    const r = await api.getAllClientCount({ timeoutMs: 30, partial: true });
    expect(r).toEqual({ partial: true, missing: [`${GC}@127.0.0.1:c`, `${GB}@127.0.0.1:b`], result: 4 });
    expectTypeOf(r).toEqualTypeOf<number | PartialResult<number>>();
    const full = cluster({ [GA]: byKind({ [QueryKind.ClientCount]: 4 }) });
    const plain = await full.api.getAllClientCount({ partial: true });
    expect(plain).toBe(4);
    expect(isPartialResult(plain)).toBe(false);
    const typed = await full.api.getAllClientCount();
    expectTypeOf(typed).toEqualTypeOf<number>();
    expectTypeOf(await full.api.getAllClientCount({ timeoutMs: 50 })).toEqualTypeOf<number>();
    expectTypeOf(await full.api.getAllClientCount({ partial: false })).toEqualTypeOf<number>();
    const maybe = Math.random() > 2;
    expectTypeOf(await full.api.getAllClientCount({ partial: maybe })).toEqualTypeOf<number | PartialResult<number>>();
    const opts: QueryOptions = {};
    expectTypeOf(await full.api.getAllClientCount(opts)).toEqualTypeOf<number | PartialResult<number>>();
  });

  it('counts a gateway that is not connected as missing at once', async () => {
    const { api } = cluster({ [GA]: byKind({ [QueryKind.Uids]: ['a'] }), [GC]: null });
    const started = Date.now();
    await expect(api.getAllUids({ timeoutMs: 10_000 })).rejects.toMatchObject({ missing: [`${GC}@127.0.0.1:c`] });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('counts a gateway whose link closes as missing without waiting for the timeout', async () => {
    const { api, peers, queries } = cluster({ [GA]: () => 'silent' });
    const pending = api.getAllClientCount({ timeoutMs: 60_000, partial: true });
    await eventually(() => queries.size === 1, 1000, 'the query to go out', 0);
    queries.sessionClosed(peers.get(GA)?.session as LinkSession);
    expect(await pending).toEqual({ partial: true, missing: [`${GA}@127.0.0.1:a`], result: 0 });
  });

  it('rejects with a QueryFailedError naming the catalogued code the gateway sent by number', async () => {
    const { api } = cluster({ [GA]: () => ({ result: null, error: 'GroupIds query: bad', code: WireErrorCode.InvalidQuery }) });
    const err = await api.getAllGroupIds().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueryFailedError);
    expect(err).toMatchObject({ code: WorkerErrorCode.QueryFailed, gatewayCode: ErrorCode.InvalidQuery, gateway: `${GA}@127.0.0.1:a` });
    expect((err as Error).message).toBe(`getAllGroupIds: gateway ${GA}@127.0.0.1:a answered with an error: GroupIds query: bad`);
    expect((err as Error).cause).toBeInstanceOf(ProtocolError);
    expect((err as Error).cause).toMatchObject({ code: ErrorCode.InvalidQuery, message: 'peer: GroupIds query: bad' });
  });

  it('maps an error code it does not know, or none (an older gateway), to GW_ERR_PEER', async () => {
    for (const code of [9999, undefined]) {
      const { api } = cluster({ [GA]: () => ({ result: null, error: 'something new', ...(code !== undefined && { code }) }) });
      await expect(api.getAllClientCount()).rejects.toMatchObject({ code: WorkerErrorCode.QueryFailed, gatewayCode: ErrorCode.PeerError });
    }
  });

  it('resolves at once with an empty merge when no gateway is listed', async () => {
    const { api } = cluster({});
    expect(await api.getAllClientCount()).toBe(0);
    expect(await api.getAllClientSessions()).toEqual({});
  });
});

describe('sends and commands', () => {
  it('routes each client id to its gateway, batching several clients of one gateway', async () => {
    const { api, peers } = cluster({ [GA]: () => 'silent', [GB]: () => 'silent' });
    await api.sendToClient([clientIdFor(GA, 1), clientIdFor(GA, 2), clientIdFor(GB, 3)], 'hi');
    await api.sendToClient(clientIdFor(GB, 4), new Uint8Array([1]));
    expect(peers.get(GA)?.session?.sent).toEqual([{ op: Op.SendToClients, clients: [1, 2], binary: false, payload: Buffer.from('hi') }]);
    expect(peers.get(GB)?.session?.sent).toEqual([
      { op: Op.SendToClient, client: 3, binary: false, payload: Buffer.from('hi') },
      { op: Op.SendToClient, client: 4, binary: true, payload: Buffer.from([1]) },
    ]);
  });

  it('broadcasts to every listed gateway with per-gateway excludes (an unlinked one holds them in its stream)', async () => {
    const { api, peers } = cluster({ [GA]: () => 'silent', [GB]: () => 'silent', [GC]: null });
    await api.sendToAll('x', { exclude: clientIdFor(GB, 5) });
    await api.sendToGroup(['g1', 2], 'y', { exclude: [clientIdFor(GA, 1)] });
    await api.sendToUid([1, 'u'], 'z');
    expect(peers.get(GA)?.session?.sent).toEqual([
      { op: Op.SendToAll, exclude: [], binary: false, payload: Buffer.from('x') },
      { op: Op.SendToGroups, groups: ['g1', '2'], exclude: [1], binary: false, payload: Buffer.from('y') },
      { op: Op.SendToUids, uids: ['1', 'u'], binary: false, payload: Buffer.from('z') },
    ]);
    expect(peers.get(GB)?.session?.sent[0]).toEqual({ op: Op.SendToAll, exclude: [5], binary: false, payload: Buffer.from('x') });
    expect(peers.get(GC)?.stream.carried.map((m) => m.op)).toEqual([Op.SendToAll, Op.SendToGroups, Op.SendToUids]);
  });

  it('sends one-client commands to the owning gateway; a command for an unknown gateway is dropped and counted', async () => {
    const { api, peers, links } = cluster({ [GA]: () => 'silent' });
    const id = clientIdFor(GA, 9);
    await api.joinGroup(id, 'room');
    await api.bindUid(id, 77);
    await api.closeClient(id, 'bye');
    await api.updateSession(id, { a: 1 });
    await api.bindUid(clientIdFor(GB, 1), 'nobody');
    await expect(api.sendToClient(['bad id'], 'x')).rejects.toBeInstanceOf(InvalidClientIdError);
    await expect(api.bindUid(id, '')).rejects.toBeInstanceOf(TypeError);
    const sent = peers.get(GA)?.session?.sent ?? [];
    expect(sent.map((m) => m.op)).toEqual([Op.JoinGroup, Op.BindUid, Op.CloseClient, Op.UpdateSession]);
    expect(sent[1]).toEqual({ op: Op.BindUid, client: 9, uid: '77' });
    expect(sent[2]).toMatchObject({ op: Op.CloseClient, client: 9, binary: false });
    expect(links.droppedFor).toEqual([GB]);
  });
});
