import { encodeAckRanges, ErrorCode, FRAME_PREFIX_BYTES, isStreamOp, Op, opName, ProtocolError, WireErrorCode } from '@gateworker/protocol';
import type {
  ClientCloseMsg,
  ClientConnectMsg,
  ClientMessageMsg,
  ClientPoisonMsg,
  Message,
  MessageOf,
  QueryReplyMsg,
  RoutedOp,
} from '@gateworker/protocol';
import type { Link, Logger } from '@gateworker/protocol/node';
import { AckTracker } from './ack-tracker.js';
import type { CommandStream } from './command-stream.js';

export type ClientEvent = ClientConnectMsg | ClientMessageMsg | ClientCloseMsg | ClientPoisonMsg;

/** What a link session reports upwards. */
export interface LinkSessionHooks {
  onEvent(session: LinkSession, event: ClientEvent): void;
  onQueryReply(session: LinkSession, reply: QueryReplyMsg): void;
}

/**
 * Messages a gateway may send a worker or GatewayClient after the handshake (declared by `OpRoute`
 * in @gateworker/protocol), handled through a table keyed by opcode: a missing one does not compile.
 */
type IncomingOp = RoutedOp<'gateway', 'worker' | 'client'>;
type Receivers = { [O in IncomingOp]: (session: LinkSession, message: MessageOf<O>) => void };

const receivers: Receivers = {
  [Op.ClientConnect]: (s, m) => s.receiveEvent(m),
  [Op.ClientMessage]: (s, m) => s.receiveEvent(m),
  [Op.ClientClose]: (s, m) => s.receiveEvent(m),
  [Op.ClientPoison]: (s, m) => s.receiveEvent(m),
  [Op.QueryReply]: (s, m) => s.hooks.onQueryReply(s, m),
  [Op.DrainAck]: (s) => s.receiveDrainAck(),
  [Op.StreamAck]: (s, m) => s.onStreamAck(m.applied),
  [Op.Error]: (s, m) => s.logger.warn({ gatewayId: s.gatewayId, code: m.code, reason: m.message }, 'gateway reported an error'),
};

/**
 * One connected, authenticated link to a gateway (a reconnect makes a new session). Owns the
 * acknowledgement state of the events received on it: sequence numbers are per link, so a new
 * link starts afresh and events of a dead link are never acknowledged (the gateway re-sends them).
 */
export class LinkSession {
  readonly gatewayId: string;
  readonly address: string;
  readonly link: Link;
  readonly hooks: LinkSessionHooks;
  readonly logger: Logger;
  readonly acks = new AckTracker();
  /** False once the link closed: its queued events are dropped, its acks go nowhere. */
  alive = true;
  /** WorkerReady was sent: the gateway routes client events to us. */
  readySent = false;
  /** Drain was sent; no new events will be routed to us once DrainAck arrives. */
  draining = false;
  drainAcked = false;
  /** The gateway applied the command stream up to this count (set by the link's owner). */
  onStreamAck: (applied: number) => void = () => {};
  /** The command stream to this link's gateway (set by the link's owner), or null: commands go on the link as they are. */
  stream: CommandStream | null = null;
  private ackScheduled = false;
  private settledWaiters: Array<() => void> = [];

  constructor(gatewayId: string, address: string, link: Link, hooks: LinkSessionHooks, logger: Logger) {
    this.gatewayId = gatewayId;
    this.address = address;
    this.link = link;
    this.hooks = hooks;
    this.logger = logger;
    link.onMessage = (message) => this.receive(message);
  }

  /**
   * Queues a frame for the gateway. Commands (stream ops) go through the gateway's command stream,
   * which keeps them until applied and re-sends them on the next link: true. Anything else is
   * written on this link; false when the link is closed (the frame is dropped).
   */
  send(frame: Buffer): boolean {
    if (this.stream !== null && isStreamOp(frame[FRAME_PREFIX_BYTES] as number)) {
      this.stream.send(frame);
      return true;
    }
    return this.link.sendFrame(frame);
  }

  sendMessage(message: Message): boolean {
    if (this.stream !== null && isStreamOp(message.op)) {
      this.stream.sendMessage(message);
      return true;
    }
    return this.link.send(message);
  }

  private receive(message: Message): void {
    const receiver = (receivers as Partial<Record<number, (s: LinkSession, m: Message) => void>>)[message.op];
    if (receiver === undefined) {
      this.link.fail(new ProtocolError(ErrorCode.Unexpected, `unexpected ${opName(message.op)} from gateway`, { wire: WireErrorCode.Unexpected }));
      return;
    }
    receiver(this, message);
  }

  /** @internal */
  receiveEvent(event: ClientEvent): void {
    if (this.drainAcked) {
      this.link.fail(new ProtocolError(ErrorCode.Unexpected, `${opName(event.op)} after DrainAck`, { wire: WireErrorCode.Unexpected }));
      return;
    }
    this.acks.receive(event.seq);
    this.hooks.onEvent(this, event);
  }

  /** @internal */
  receiveDrainAck(): void {
    this.drainAcked = true;
    this.checkSettled();
  }

  /** Marks an event finished; the Ack goes out once per event-loop turn, after everything written so far. */
  finish(seq: number): void {
    if (!this.alive) return;
    this.acks.finish(seq);
    if (!this.ackScheduled && this.acks.ackDue) {
      this.ackScheduled = true;
      setImmediate(flushAck, this);
    }
  }

  /** @internal */
  flushAck(): void {
    this.ackScheduled = false;
    if (!this.alive) return;
    const ranges = this.acks.takeRanges();
    if (ranges !== null) this.send(encodeAckRanges(ranges));
    // More than one frame's worth of ranges: the rest go on the next turn.
    if (this.acks.ackDue && !this.ackScheduled) {
      this.ackScheduled = true;
      setImmediate(flushAck, this);
    }
    this.checkSettled();
  }

  /**
   * Sends Drain and resolves once the gateway answered DrainAck and every event received on this
   * link is finished and acknowledged, or when the link closes (the gateway then re-sends what we
   * did not acknowledge).
   */
  drain(): Promise<void> {
    if (!this.draining && this.alive) {
      this.draining = true;
      this.sendMessage({ op: Op.Drain });
    }
    return new Promise((resolve) => {
      this.settledWaiters.push(resolve);
      this.checkSettled();
    });
  }

  /** Called when the link closed. */
  closed(): void {
    this.alive = false;
    this.releaseWaiters();
  }

  private checkSettled(): void {
    if (this.settledWaiters.length === 0) return;
    if (!this.alive || (this.drainAcked && this.acks.settled && !this.ackScheduled)) this.releaseWaiters();
  }

  private releaseWaiters(): void {
    const waiters = this.settledWaiters;
    this.settledWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

function flushAck(session: LinkSession): void {
  session.flushAck();
}
