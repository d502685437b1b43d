import { decodeMessage, FRAME_PREFIX_BYTES, Op, packValue } from '@gateworker/protocol';
import type { ClientCloseMsg, ClientConnectMsg, ClientMessageMsg, ConnectInfo, Message } from '@gateworker/protocol';
import type { Logger } from '@gateworker/protocol/node';
import type { ClientEnv } from '../src/client.js';
import type { ClusterApi } from '../src/cluster-api-types.js';
import type { GatewayLinks } from '../src/gateway-links.js';
import type { LinkSession } from '../src/link-session.js';

/** Everything a fake link saw, in order: messages sent and events finished. */
export type Trace = Array<Message | { finished: number }>;

export interface FakeSession {
  gatewayId: string;
  address: string;
  alive: boolean;
  trace: Trace;
  send(frame: Buffer): boolean;
  sendMessage(m: Message): boolean;
  finish(seq: number): void;
}

export function fakeSession(gatewayId = '000000000001'): FakeSession & LinkSession {
  const trace: Trace = [];
  const s: FakeSession = {
    gatewayId,
    address: '127.0.0.1:1',
    alive: true,
    trace,
    send(frame) {
      trace.push(decodeMessage(frame.subarray(FRAME_PREFIX_BYTES)));
      return true;
    },
    sendMessage(m) {
      trace.push(m);
      return true;
    },
    finish(seq) {
      trace.push({ finished: seq });
    },
  };
  return s as FakeSession & LinkSession;
}

export function fakeEnv(logger: Logger, sessions: Map<string, LinkSession> = new Map()): ClientEnv {
  return {
    api: {} as ClusterApi,
    links: { peer: (id: string) => (sessions.has(id) ? { session: sessions.get(id) } : undefined) } as unknown as GatewayLinks,
    logger,
  };
}

export const WS_INFO: ConnectInfo = {
  listener: 'ws://127.0.0.1:7272/ws',
  remoteAddress: '10.0.0.1',
  remotePort: 5555,
  request: { url: '/ws?token=x', headers: { host: 'h' }, remoteAddress: '10.0.0.1' },
};

export const TCP_INFO: ConnectInfo = { listener: 'tcp://127.0.0.1:7273', remoteAddress: '10.0.0.2', remotePort: 6666, request: null };

export function connect(seq: number, client: number, info: ConnectInfo = TCP_INFO, session: object | null = null): ClientConnectMsg {
  return { op: Op.ClientConnect, seq, client, session: session === null ? null : packValue(session), info };
}

export function message(seq: number, client: number, text: string, session: object | null = null): ClientMessageMsg {
  return { op: Op.ClientMessage, seq, client, session: session === null ? null : packValue(session), binary: false, payload: Buffer.from(text) };
}

/** A ClientClose as the gateway sends it: the session always, with the bound uid if any. */
export function close(seq: number, client: number, session: object | null = {}, uid?: string): ClientCloseMsg {
  const m: ClientCloseMsg = { op: Op.ClientClose, seq, client, session: session === null ? null : packValue(session) };
  return uid === undefined ? m : { ...m, uid };
}

export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets pending promise callbacks run (no timers involved). */
export async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
