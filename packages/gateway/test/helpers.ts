import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { Op, type Message, type MessageOf } from '@gateworker/protocol';
import { connectLink, type Link } from '@gateworker/protocol/node';
import { WebSocket } from 'ws';
import { Gateway, type GatewayOptions } from '../src/index.js';
import { Inbox } from '../../../test/helpers/inbox.js';
import { DEFAULT_WAIT_MS, within } from '../../../test/helpers/wait.js';

export const SECRET = 'test-secret';

export async function startGateway(overrides: Partial<GatewayOptions> = {}): Promise<Gateway> {
  const gateway = new Gateway({
    nodeId: 'test-node',
    secret: SECRET,
    listeners: [{ url: 'ws://127.0.0.1:0/ws' }, { url: 'tcp://127.0.0.1:0', framing: 'line' }],
    internal: { host: '127.0.0.1', port: 0 },
    registers: [],
    heartbeat: { intervalMs: 0 },
    ...overrides,
  });
  await gateway.start();
  return gateway;
}

export type ClientEvent = MessageOf<typeof Op.ClientConnect> | MessageOf<typeof Op.ClientMessage> | MessageOf<typeof Op.ClientClose>;

/** A scripted worker: a real link with role worker; records what the gateway sends. */
export class FakeWorker {
  readonly inbox = new Inbox<Message>();
  closed: Promise<Error | null>;

  /** Acknowledge every client event as soon as it arrives. */
  autoAck: boolean;

  private constructor(
    readonly link: Link,
    autoAck: boolean,
  ) {
    this.autoAck = autoAck;
    link.onMessage = (m) => {
      this.inbox.push(m);
      if (this.autoAck && (m.op === Op.ClientConnect || m.op === Op.ClientMessage || m.op === Op.ClientClose)) this.ack(m.seq);
    };
    this.closed = link.closed;
  }

  static async connect(
    gateway: Gateway,
    options: { ready?: boolean; workerId?: string; role?: 'worker' | 'client'; secret?: string; autoAck?: boolean } = {},
  ): Promise<FakeWorker> {
    const { host, port } = gateway.internalAddress();
    const { link } = await connectLink({ host, port, secret: options.secret ?? SECRET, role: options.role ?? 'worker', nodeId: 'fake' });
    const worker = new FakeWorker(link, options.autoAck ?? true);
    if (options.ready ?? true) {
      const ready = once(gateway, 'worker-ready');
      link.send({ op: Op.WorkerReady, workerId: options.workerId ?? 'w', pid: process.pid });
      await within(ready, DEFAULT_WAIT_MS, 'worker-ready');
    }
    return worker;
  }

  send(message: Message): void {
    this.link.send(message);
  }

  /** The next client event (of an op, optionally). */
  async event<O extends ClientEvent['op']>(op?: O, timeoutMs?: number): Promise<Extract<ClientEvent, { op: O }>> {
    const isEvent = (m: Message): boolean =>
      op === undefined ? m.op === Op.ClientConnect || m.op === Op.ClientMessage || m.op === Op.ClientClose : m.op === op;
    return (await this.inbox.nextMatching(isEvent, timeoutMs, op === undefined ? 'a client event' : `op ${op}`)) as Extract<ClientEvent, { op: O }>;
  }

  async next<O extends Message['op']>(op: O, timeoutMs?: number): Promise<MessageOf<O>> {
    return (await this.inbox.nextMatching((m) => m.op === op, timeoutMs, `op ${op}`)) as MessageOf<O>;
  }

  /** Cumulative Ack: every event up to seq. */
  ack(seq: number): void {
    this.link.send({ op: Op.Ack, seq });
  }

  /** Per-event acknowledgement of exactly these sequence numbers. */
  ackEach(...seqs: number[]): void {
    this.link.send({ op: Op.AckRanges, ranges: seqs.flatMap((s) => [s, s]) });
  }

  async query(id: number, kind: number, args: unknown): Promise<MessageOf<typeof Op.QueryReply>> {
    this.link.send({ op: Op.Query, id, kind: kind as never, args });
    return (await this.inbox.nextMatching((m) => m.op === Op.QueryReply && m.id === id, DEFAULT_WAIT_MS, `query reply ${id}`)) as MessageOf<
      typeof Op.QueryReply
    >;
  }

  async close(): Promise<void> {
    await this.link.close();
  }
}

/** A real ws client collecting messages. */
export class WsClient {
  readonly inbox = new Inbox<{ data: Buffer; binary: boolean }>();
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, binary: boolean) => this.inbox.push({ data, binary }));
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static async open(url: string, headers: Record<string, string> = {}): Promise<WsClient> {
    const ws = new WebSocket(url, { headers, perMessageDeflate: false });
    const client = new WsClient(ws);
    await within(once(ws, 'open'), DEFAULT_WAIT_MS, `ws open ${url}`);
    return client;
  }

  async text(): Promise<string> {
    return (await this.inbox.next(DEFAULT_WAIT_MS, 'a ws message')).data.toString();
  }

  close(): void {
    this.ws.close();
  }
}

/** A real tcp client reading lines. */
export class LineClient {
  readonly lines = new Inbox<string>();
  readonly closed: Promise<void>;
  private rest = '';

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      const parts = (this.rest + chunk).split('\n');
      this.rest = parts.pop() ?? '';
      for (const p of parts) this.lines.push(p);
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
  }

  static async open(port: number, host = '127.0.0.1'): Promise<LineClient> {
    const socket = connect({ host, port });
    await within(once(socket, 'connect'), DEFAULT_WAIT_MS, `tcp connect ${port}`);
    return new LineClient(socket);
  }

  send(line: string): void {
    this.socket.write(`${line}\n`);
  }

  close(): void {
    this.socket.end();
  }
}

/** Listener URLs of a started gateway, by scheme. */
export function urls(gateway: Gateway): { ws: string; tcpPort: number } {
  const all = gateway.listenerAddresses();
  const ws = all.find((l) => l.url.startsWith('ws'));
  const tcp = all.find((l) => l.url.startsWith('tcp'));
  return { ws: ws?.url ?? '', tcpPort: tcp?.port ?? 0 };
}

/** Resolves once the gateway has handled everything this ws client sent before (ws ping → pong). */
export async function roundTrip(client: WsClient): Promise<void> {
  const pong = once(client.ws, 'pong');
  client.ws.ping();
  await within(pong, DEFAULT_WAIT_MS, 'pong');
}
