import { once } from 'node:events';
import { Op, type Message, type MessageOf } from '@gateworker/protocol';
import { connectLink, type Link } from '@gateworker/protocol/node';
import { Gateway, type GatewayOptions } from '../src/index.js';
import type { WsClient } from '../../../test/helpers/clients.js';
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
