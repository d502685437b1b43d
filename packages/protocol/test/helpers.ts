/**
 * Shared fixtures for the protocol tests: sample messages for every opcode, a seeded PRNG, and
 * small async helpers. Not a test file (vitest only collects `*.test.ts`).
 */
import { ErrorCode, Op, packValue, ProtocolError, QueryKind } from '@gateworker/protocol';
import type { GatewayInfo, Message, MessageOf, WorkerInfo } from '@gateworker/protocol';
import { expect } from 'vitest';

/** mulberry32: a tiny deterministic PRNG, so fuzz and split tests replay exactly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Integer in [min, max] (inclusive) from a PRNG. */
export function randInt(rand: () => number, min: number, max: number): number {
  return min + Math.floor(rand() * (max - min + 1));
}

export function randomBytesFrom(rand: () => number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) buf[i] = randInt(rand, 0, 255);
  return buf;
}

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');
const MAX_CLIENT = 2 ** 48 - 1;

const stats = { clients: 1200, uids: 300, groups: 7, workers: 2, pending: 0 };
const gateway: GatewayInfo = {
  gatewayId: '0ghpn3a5vq1z',
  nodeId: 'gw-a',
  address: '10.0.0.5:2900',
  processIndex: 1,
  pid: 4242,
  stats,
};
const worker: WorkerInfo = {
  workerId: 'w-1',
  nodeId: 'node-1',
  pid: 5151,
  state: 'ready',
  inflight: 3,
  handled: 98_765,
  gateways: 2,
};
const session = packValue({ user: 'ann', n: 1 });

/**
 * At least one sample of every message type, with edge values (empty payloads, client numbers 1
 * and 2^48−1, seq 0 and 2^32−1, sessions present and absent). The mapped type makes a missing
 * opcode a compile error.
 */
export const samples: { [O in Op]: MessageOf<O>[] } = {
  [Op.Hello]: [
    { op: Op.Hello, version: 1, nonce: Buffer.alloc(16, 7), role: 'gateway', nodeId: 'gw-a' },
    { op: Op.Hello, version: 2, nonce: Buffer.alloc(16, 7), role: 'gateway', nodeId: 'gw-a', gatewayId: '0ghpn3a5vq1z', cluster: 'prod' },
  ],
  [Op.Auth]: [
    { op: Op.Auth, version: 1, role: 'worker', nodeId: 'w-1', nonce: Buffer.alloc(16, 1), proof: Buffer.alloc(32, 2) },
    { op: Op.Auth, version: 2, role: 'worker', nodeId: 'w-1', nonce: Buffer.alloc(16, 1), proof: Buffer.alloc(32, 2), cluster: 'prod' },
  ],
  [Op.AuthOk]: [{ op: Op.AuthOk, proof: Buffer.alloc(32, 3) }],
  [Op.Error]: [{ op: Op.Error, code: 6, message: 'authentication failed: wrong secret' }],
  [Op.Ping]: [{ op: Op.Ping, t: 1_700_000_000_000 }],
  [Op.Pong]: [{ op: Op.Pong, t: 0 }],

  [Op.Announce]: [{ op: Op.Announce, gateway }],
  [Op.GatewayStats]: [
    { op: Op.GatewayStats, stats },
    {
      op: Op.GatewayStats,
      stats: {
        ...stats,
        bus: [{ bridge: 'redis', state: 'ready', connects: 2, received: 10, applied: 8, deliveries: 30, rejected: { not_json: 1, too_large: 1 } }],
      },
    },
  ],
  [Op.Subscribe]: [
    { op: Op.Subscribe, worker },
    { op: Op.Subscribe, worker: null },
  ],
  [Op.GatewayList]: [
    { op: Op.GatewayList, gateways: [gateway, { ...gateway, gatewayId: '0ghpn3a5vq20', processIndex: 2 }] },
    { op: Op.GatewayList, gateways: [] },
  ],
  [Op.GatewayUp]: [{ op: Op.GatewayUp, gateway }],
  [Op.GatewayDown]: [{ op: Op.GatewayDown, gatewayId: '0ghpn3a5vq1z' }],
  [Op.WorkerStats]: [{ op: Op.WorkerStats, worker: { ...worker, state: 'draining' } }],
  [Op.StatusQuery]: [{ op: Op.StatusQuery, requestId: 9 }],
  [Op.StatusReply]: [
    {
      op: Op.StatusReply,
      requestId: 9,
      status: { register: { nodeId: 'reg', pid: 1, uptimeMs: 12_345 }, gateways: [gateway], workers: [worker] },
    },
  ],

  [Op.ClientConnect]: [
    {
      op: Op.ClientConnect,
      seq: 1,
      client: 1,
      session: null,
      info: { listener: 'tcp://0.0.0.0:7273', remoteAddress: '::1', remotePort: 50_000, request: null },
    },
    {
      op: Op.ClientConnect,
      seq: 2 ** 32 - 1,
      client: MAX_CLIENT,
      session,
      info: {
        listener: 'ws://0.0.0.0:7272/ws',
        remoteAddress: '127.0.0.1',
        remotePort: 1,
        request: { url: '/ws?token=x', headers: { host: 'example', 'set-cookie': ['a=1', 'b=2'] }, remoteAddress: '127.0.0.1' },
      },
    },
  ],
  [Op.ClientMessage]: [
    { op: Op.ClientMessage, seq: 1, client: 1, session: null, binary: false, payload: bytes('hello') },
    { op: Op.ClientMessage, seq: 0, client: MAX_CLIENT, session, binary: true, payload: Buffer.from([0, 1, 2, 255]) },
    { op: Op.ClientMessage, seq: 7, client: 300, session: Buffer.alloc(0), binary: false, payload: Buffer.alloc(0) },
  ],
  [Op.ClientPoison]: [
    { op: Op.ClientPoison, seq: 0, client: 1, session: null, event: 'connect', deliveries: 2, binary: false, payload: Buffer.alloc(0) },
    {
      op: Op.ClientPoison,
      seq: 2 ** 32 - 1,
      client: MAX_CLIENT,
      session,
      uid: 'u-1',
      event: 'message',
      deliveries: 65535,
      binary: true,
      payload: bytes('boom'),
    },
  ],
  [Op.ClientClose]: [
    { op: Op.ClientClose, seq: 3, client: 77, session },
    { op: Op.ClientClose, seq: 4, client: 78, session: null },
  ],

  [Op.SendToClient]: [
    { op: Op.SendToClient, client: 1, binary: false, payload: bytes('hi') },
    { op: Op.SendToClient, client: MAX_CLIENT, binary: true, payload: Buffer.alloc(0) },
  ],
  [Op.SendToClients]: [
    { op: Op.SendToClients, clients: [1, 2, MAX_CLIENT], binary: false, payload: bytes('to some') },
    { op: Op.SendToClients, clients: [], binary: true, payload: Buffer.from([9]) },
  ],
  [Op.SendToAll]: [
    { op: Op.SendToAll, exclude: [], binary: false, payload: bytes('to all') },
    { op: Op.SendToAll, exclude: [5, 6], binary: true, payload: Buffer.alloc(0) },
  ],
  [Op.SendToUids]: [
    { op: Op.SendToUids, uids: ['u1', 'ünï'], binary: false, payload: bytes('to uids') },
    { op: Op.SendToUids, uids: [], binary: true, payload: Buffer.from([1, 2]) },
  ],
  [Op.SendToGroups]: [
    { op: Op.SendToGroups, groups: ['room-1'], exclude: [], binary: false, payload: bytes('to group') },
    { op: Op.SendToGroups, groups: ['a', 'b'], exclude: [1, MAX_CLIENT], binary: true, payload: Buffer.alloc(3, 0xff) },
  ],

  [Op.BindUid]: [{ op: Op.BindUid, client: 42, uid: 'user-7' }],
  [Op.UnbindUid]: [{ op: Op.UnbindUid, client: 42 }],
  [Op.JoinGroup]: [{ op: Op.JoinGroup, client: 42, group: 'room-1' }],
  [Op.LeaveGroup]: [{ op: Op.LeaveGroup, client: MAX_CLIENT, group: '' }],
  [Op.Ungroup]: [{ op: Op.Ungroup, group: 'room-1' }],
  [Op.CloseClient]: [
    { op: Op.CloseClient, client: 42, data: null, binary: false },
    { op: Op.CloseClient, client: 42, data: bytes('bye'), binary: true },
  ],
  [Op.SetSession]: [{ op: Op.SetSession, client: 42, session }],
  [Op.UpdateSession]: [{ op: Op.UpdateSession, client: 42, patch: packValue({ n: 2 }) }],
  [Op.Query]: [
    { op: Op.Query, id: 1, kind: QueryKind.IsOnline, args: { clients: [1, 2] } },
    { op: Op.Query, id: 2, kind: QueryKind.ClientCount, args: null },
    { op: Op.Query, id: 3, kind: QueryKind.AllClientSessions, args: ['x', 1, true] },
  ],
  [Op.QueryReply]: [
    { op: Op.QueryReply, id: 1, result: { online: [true, false] }, error: null },
    { op: Op.QueryReply, id: 2, result: null, error: 'no such client' },
    { op: Op.QueryReply, id: 3, result: null, error: 'IsOnline query: args must be { client: number }', code: 13 },
  ],

  [Op.Ack]: [
    { op: Op.Ack, seq: 0 },
    { op: Op.Ack, seq: 2 ** 32 - 1 },
  ],
  [Op.AckRanges]: [
    { op: Op.AckRanges, ranges: [1, 1] },
    { op: Op.AckRanges, ranges: [0, 2 ** 32 - 1, 5, 9] },
  ],
  [Op.WorkerReady]: [{ op: Op.WorkerReady, workerId: 'w-1', pid: 5151 }],
  [Op.Drain]: [{ op: Op.Drain }],
  [Op.StreamResume]: [
    { op: Op.StreamResume, sender: '9f8e7d6c5b4a3921', first: 1 },
    { op: Op.StreamResume, sender: 'x', first: 2 ** 48 - 1 },
  ],
  [Op.StreamAck]: [
    { op: Op.StreamAck, applied: 0 },
    { op: Op.StreamAck, applied: 2 ** 48 - 1 },
  ],
  [Op.DrainAck]: [{ op: Op.DrainAck }],
};

/** Every sample, in opcode order. */
export const allSamples: Message[] = Object.values(samples).flat();

/** Every value of ErrorCode. */
export const errorCodes = new Set<string>(Object.values(ErrorCode));

/** Asserts `fn` throws a ProtocolError with `code`, and returns it. */
export function expectProtocolError(fn: () => unknown, code: ErrorCode): ProtocolError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected a ProtocolError to be thrown').toBeInstanceOf(ProtocolError);
  expect((caught as ProtocolError).code).toBe(code);
  return caught as ProtocolError;
}

/** Concatenation helper for readability. */
export function concat(frames: readonly Buffer[]): Buffer {
  return Buffer.concat(frames);
}
