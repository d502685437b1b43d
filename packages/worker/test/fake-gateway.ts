import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { newGatewayId, Op } from '@gateworker/protocol';
import type { ConnectInfo, GatewayInfo, Message, QueryMsg } from '@gateworker/protocol';
import { acceptLink, type Link } from '@gateworker/protocol/node';
import { DEFAULT_WAIT_MS, untilEvents } from '../../../test/helpers/wait.js';

export const SECRET = 'test-secret';

/** One accepted worker/client link, with everything it received and helpers to send events. */
export class FakeLink {
  readonly messages: Message[] = [];
  private seq = 0;
  /** Emits 'change' on every message and on close, for `until`. */
  private readonly changes = new EventEmitter();
  closed = false;
  /** Reply to queries automatically with this function, if set. */
  answer: ((q: QueryMsg) => unknown) | null = null;

  constructor(
    readonly link: Link,
    readonly peerRole: string,
    readonly peerNodeId: string,
  ) {
    link.onMessage = (m) => {
      this.messages.push(m);
      if (m.op === Op.Query && this.answer !== null) {
        link.send({ op: Op.QueryReply, id: m.id, result: this.answer(m) as never, error: null });
      }
      this.notify();
    };
    link.onClose = () => {
      this.closed = true;
      this.notify();
    };
  }

  private notify(): void {
    this.changes.emit('change');
  }

  /** Waits until `check` holds (re-checked on every message and on close). */
  async until(check: () => boolean, timeoutMs = DEFAULT_WAIT_MS, what = 'a condition'): Promise<void> {
    try {
      await untilEvents(this.changes, ['change'], check, timeoutMs, what);
    } catch (err) {
      throw new Error(`${(err as Error).message}; received ${this.messages.map((m) => m.op).join(',')}`);
    }
  }

  /** Waits for a message with this op (after `from` messages), returning it. */
  async next<O extends Message['op']>(op: O, from = 0): Promise<Extract<Message, { op: O }>> {
    let found: Message | undefined;
    await this.until(() => (found = this.messages.slice(from).find((m) => m.op === op)) !== undefined, DEFAULT_WAIT_MS, `op ${op}`);
    return found as Extract<Message, { op: O }>;
  }

  /** Waits for an AckRanges covering `seq`. */
  acked(seq: number): Promise<void> {
    return this.until(() => this.messages.some((m) => ackCovers(m, seq)), DEFAULT_WAIT_MS, `Ack ${seq}`);
  }

  connect(client: number, info: ConnectInfo, session: Uint8Array | null = null): number {
    const seq = ++this.seq;
    this.link.send({ op: Op.ClientConnect, seq, client, session, info });
    return seq;
  }

  message(client: number, text: string, session: Uint8Array | null = null): number {
    const seq = ++this.seq;
    this.link.send({ op: Op.ClientMessage, seq, client, session, binary: false, payload: Buffer.from(text) });
    return seq;
  }

  close(client: number, session: Uint8Array): number {
    const seq = ++this.seq;
    this.link.send({ op: Op.ClientClose, seq, client, session });
    return seq;
  }
}

/** A scripted gateway: accepts worker/client links on an ephemeral port and records what they send. */
export class FakeGateway {
  readonly gatewayId = newGatewayId();
  readonly links: FakeLink[] = [];
  private server: Server | null = null;
  private sockets = new Set<Socket>();
  private linkWaiters = new Set<() => void>();
  port = 0;

  async start(port = 0): Promise<this> {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      acceptLink(socket, { secret: SECRET, role: 'gateway', nodeId: 'fake-gw', gatewayId: this.gatewayId, allowedRoles: ['worker', 'client'] }).then(
        ({ link, peerRole, peerNodeId }) => {
          this.links.push(new FakeLink(link, peerRole, peerNodeId));
          for (const w of [...this.linkWaiters]) w();
        },
        () => {},
      );
    });
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  info(): GatewayInfo {
    return {
      gatewayId: this.gatewayId,
      nodeId: 'fake',
      address: this.address,
      processIndex: 0,
      pid: process.pid,
      stats: { clients: 0, uids: 0, groups: 0, workers: 0, pending: 0 },
    };
  }

  /** Waits for the n-th link (1-based) to be accepted. */
  link(n = 1, timeoutMs = 5000): Promise<FakeLink> {
    return new Promise((resolve, reject) => {
      const tick = (): void => {
        const l = this.links[n - 1];
        if (l === undefined) return;
        clearTimeout(timer);
        this.linkWaiters.delete(tick);
        resolve(l);
      };
      const timer = setTimeout(() => {
        this.linkWaiters.delete(tick);
        reject(new Error(`timed out waiting for link #${n}`));
      }, timeoutMs);
      this.linkWaiters.add(tick);
      tick();
    });
  }

  /** Stops accepting and drops every connection. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server === null ? resolve() : this.server.close(() => resolve())));
  }
}

/** True when `m` is an AckRanges whose ranges include `seq`. */
export function ackCovers(m: Message, seq: number): boolean {
  if (m.op !== Op.AckRanges) return false;
  for (let i = 0; i + 1 < m.ranges.length; i += 2) if (seq >= (m.ranges[i] as number) && seq <= (m.ranges[i + 1] as number)) return true;
  return false;
}
