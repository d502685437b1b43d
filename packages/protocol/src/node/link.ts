import { connect as netConnect, type Socket } from 'node:net';
import { formatAddress } from '../address.js';
import { decodeMessage, encodeMessage } from '../codec.js';
import { ErrorCode, ProtocolError, WireErrorCode } from '../errors.js';
import { FrameDecoder } from '../frame.js';
import { DEFAULT_LINK_OPTIONS, type ResolvedLinkOptions } from '../link-options.js';
import type { Message } from '../messages.js';
import { Op } from '../opcodes.js';

/**
 * Largest gap between two liveness checks, in milliseconds: silence is detected at most this long
 * after the timeout (a ping interval above it does not coarsen detection).
 */
export const LINK_CHECK_GRANULARITY_MS = 1_000;
/**
 * When queued frames go out: 'tick' (default) at the end of the current tick; 'loop' once per
 * event-loop turn (setImmediate), so frames produced by the many I/O callbacks of one turn (a
 * gateway forwarding messages of many clients) leave in one write: fewer syscalls under load,
 * no added latency beyond the current turn.
 */
export type LinkFlush = 'tick' | 'loop';

export type MessageHandler = (message: Message) => void;
export type CloseHandler = (error: Error | null) => void;

/**
 * A framed, heartbeated internal link over one TCP socket. Frames written in one tick leave in
 * one write (the socket is corked on the first write of a tick and uncorked on the next tick).
 * Pings are answered here; every other message goes to `onMessage`. Malformed input, an oversized
 * frame, an overfull write buffer or a silent peer destroys the link with a typed error, which
 * `onClose` receives (null after a clean close). After such an error nothing more is passed on.
 *
 * While no handler is set (between the handshake and the owner setting its handlers), messages
 * and the close are held, not dropped: they are delivered in order, in a microtask, once the
 * handlers are set. Frames that arrive in the same chunk as the last handshake frame land here.
 */
export class Link {
  readonly socket: Socket;
  readonly remoteAddress: string;
  /** Resolves once the socket is closed, with the error that closed it (null if clean). */
  readonly closed: Promise<Error | null>;

  private readonly decoder: FrameDecoder;
  private readonly maxBufferedBytes: number;
  private readonly timeoutMs: number;
  private corked = false;
  /** flush: 'loop' — uncork in setImmediate rather than process.nextTick. */
  private readonly flushPerLoop: boolean;
  /** Monotonic time (performance.now) bytes last arrived from the peer. */
  private lastHeardAt = performance.now();
  private readonly pingIntervalMs: number;
  private lastPingAt = performance.now();
  /** A silent check deferred one event-loop turn, so input waiting in the socket is read first. */
  private verdictPending = false;
  private pingTimer: NodeJS.Timeout | null = null;
  private error: Error | null = null;
  private isClosed = false;
  private resolveClosed!: (err: Error | null) => void;
  /** The owner's handlers; null while events are held for a handler not yet set. */
  private messageHandler: MessageHandler | null = null;
  private closeHandler: CloseHandler | null = null;
  /** Messages received while no message handler was set, oldest first. */
  private held: Message[] = [];
  private closeNotified = false;
  private releaseScheduled = false;
  /**
   * Set by the accepting side of the handshake until the peer is authenticated: bad input then
   * destroys the socket as soon as one Error frame is written (no graceful close a stranger could
   * hold open, nothing more read).
   */
  unauthenticated = false;

  /** `options` come resolved (resolveLinkOptions): no default is applied here. */
  constructor(socket: Socket, options: ResolvedLinkOptions = DEFAULT_LINK_OPTIONS, flush: LinkFlush = 'tick') {
    this.socket = socket;
    this.remoteAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.decoder = new FrameDecoder(options.maxFrameBytes);
    this.maxBufferedBytes = options.maxBufferedBytes;
    this.timeoutMs = options.timeoutMs;
    this.flushPerLoop = flush === 'loop';
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (err) => {
      this.error ??= err;
    });
    socket.on('close', () => this.finish());
    const interval = options.pingIntervalMs;
    this.pingIntervalMs = interval;
    if (interval > 0) {
      this.pingTimer = setInterval(() => this.heartbeat(), Math.min(interval, LINK_CHECK_GRANULARITY_MS));
      this.pingTimer.unref();
    }
  }

  /** Receives every message but Ping and Pong. Setting it delivers any held messages (in a microtask). */
  get onMessage(): MessageHandler {
    return this.messageHandler ?? noop;
  }

  set onMessage(handler: MessageHandler) {
    this.messageHandler = handler;
    this.scheduleRelease();
  }

  /** Called once when the socket has closed, with the error that closed it (null if clean). */
  get onClose(): CloseHandler {
    return this.closeHandler ?? noop;
  }

  set onClose(handler: CloseHandler) {
    this.closeHandler = handler;
    this.scheduleRelease();
  }

  /**
   * Holds messages and the close event until the next handlers are set. The handshake calls this
   * when it has read its last frame, so frames right behind it wait for the link's owner.
   */
  holdEvents(): void {
    this.messageHandler = null;
    this.closeHandler = null;
  }

  get isOpen(): boolean {
    return !this.isClosed && !this.socket.destroyed && this.socket.writable;
  }

  /** Changes the largest frame accepted from the peer (the handshake accepts only small ones). */
  setMaxFrameBytes(bytes: number): void {
    this.decoder.maxFrameBytes = bytes;
  }

  /** Bytes queued in user space for the peer. */
  get bufferedBytes(): number {
    return this.socket.writableLength;
  }

  /** Queues one complete frame. Returns false if the link is closed (the frame is dropped). */
  sendFrame(frame: Buffer): boolean {
    if (!this.isOpen) return false;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      if (this.flushPerLoop) setImmediate(uncork, this);
      else process.nextTick(uncork, this);
    }
    this.socket.write(frame);
    if (this.socket.writableLength > this.maxBufferedBytes) {
      this.destroy(new ProtocolError(ErrorCode.LinkClosed, `peer is not reading: more than ${this.maxBufferedBytes} bytes queued`));
      return false;
    }
    return true;
  }

  send(message: Message): boolean {
    return this.sendFrame(encodeMessage(message));
  }

  /** Tells the peer why, then closes gracefully. */
  fail(error: ProtocolError): void {
    this.error ??= error;
    if (error.wire !== undefined) this.send({ op: Op.Error, code: error.wire, message: error.message });
    void this.close();
  }

  /** Flushes what is queued, ends the socket, resolves when it is closed. Idempotent. */
  close(): Promise<Error | null> {
    this.stopPings();
    if (!this.socket.destroyed) {
      if (this.corked) {
        this.corked = false;
        this.socket.uncork();
      }
      this.socket.end();
      // A peer that never closes its side must not hold us forever.
      const timer = setTimeout(() => this.socket.destroy(), this.timeoutMs);
      timer.unref();
      void this.closed.then(() => clearTimeout(timer));
    }
    return this.closed;
  }

  /** Closes at once, dropping anything queued. */
  destroy(error?: Error): void {
    if (error !== undefined) this.error ??= error;
    this.stopPings();
    this.socket.destroy();
  }

  flush(): void {
    if (this.corked) {
      this.corked = false;
      this.socket.uncork();
    }
  }

  private receive(chunk: Buffer): void {
    // After an error the stream is not trusted (and the decoder may have lost its place): the
    // socket is only waiting for the peer to close.
    if (this.error !== null) return;
    this.lastHeardAt = performance.now();
    try {
      this.decoder.push(chunk, (frame) => {
        if (this.isClosed || this.socket.destroyed) return;
        const message = decodeMessage(frame);
        if (message.op === Op.Ping) {
          this.send({ op: Op.Pong, t: message.t });
          return;
        }
        if (message.op === Op.Pong) return;
        if (this.messageHandler === null || this.held.length > 0) this.held.push(message);
        else this.messageHandler(message);
      });
    } catch (err) {
      this.failWith(err);
    }
  }

  private failWith(err: unknown): void {
    if (this.unauthenticated) this.refuse(err instanceof Error ? err : new Error(String(err)));
    else if (err instanceof ProtocolError) this.fail(err);
    else this.destroy(err instanceof Error ? err : new Error(String(err)));
  }

  /** Bad input before authentication: say why in one small frame, then destroy once it is written (no graceful close). */
  private refuse(err: Error): void {
    this.error ??= err;
    this.stopPings();
    if (err instanceof ProtocolError && err.wire !== undefined && this.isOpen) {
      this.flush();
      this.socket.end(encodeMessage({ op: Op.Error, code: err.wire, message: err.message }));
    }
    this.socket.destroySoon();
  }

  private scheduleRelease(): void {
    if (this.releaseScheduled) return;
    if (this.held.length === 0 && !(this.isClosed && !this.closeNotified)) return;
    this.releaseScheduled = true;
    queueMicrotask(() => this.release());
  }

  /** Delivers held messages, then a held close, to the handlers now set. */
  private release(): void {
    this.releaseScheduled = false;
    // Held messages arrived before any receive error (none is taken after one), so they are
    // delivered even if the socket failed since; a throwing handler ends the delivery.
    while (this.held.length > 0 && this.messageHandler !== null) {
      const message = this.held.shift() as Message;
      try {
        this.messageHandler(message);
      } catch (err) {
        this.held = [];
        this.failWith(err);
      }
    }
    this.notifyClose();
  }

  private notifyClose(): void {
    // A close waits behind held messages only while a message handler may still come to take them.
    if (!this.isClosed || this.closeNotified || this.closeHandler === null) return;
    if (this.held.length > 0 && this.messageHandler !== null) return;
    this.closeNotified = true;
    this.closeHandler(this.error);
  }

  /**
   * Liveness, on the monotonic clock (a stepped wall clock neither kills nor spares a link). A
   * check that finds silence does not judge at once: after a pause (SIGSTOP, a long GC, a slow
   * host) timers can run before the input that arrived meanwhile is read, so the verdict waits
   * for setImmediate, which runs after the poll phase has read the sockets.
   */
  private heartbeat(): void {
    if (this.verdictPending) return;
    const now = performance.now();
    if (now - this.lastHeardAt > this.timeoutMs) {
      this.verdictPending = true;
      setImmediate(judgeSilence, this);
      return;
    }
    if (now - this.lastPingAt >= this.pingIntervalMs - 1) {
      this.lastPingAt = now;
      this.send({ op: Op.Ping, t: Math.round(now) });
    }
  }

  /** @internal The deferred half of a silent check. */
  judgeSilence(): void {
    this.verdictPending = false;
    if (this.isClosed || this.pingTimer === null) return;
    const now = performance.now();
    if (now - this.lastHeardAt <= this.timeoutMs) return;
    const silentMs = Math.round(now - this.lastHeardAt);
    const err = new ProtocolError(
      ErrorCode.HeartbeatTimeout,
      `no frame from ${this.remoteAddress} for ${silentMs} ms (timeout ${this.timeoutMs} ms)`,
      {
        wire: WireErrorCode.HeartbeatTimeout,
      },
    );
    this.destroy(err);
  }

  private stopPings(): void {
    if (this.pingTimer !== null) {
      clearInterval(this.pingTimer);
      this.pingTimer = null;
    }
  }

  private finish(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.stopPings();
    if (this.held.length > 0) this.scheduleRelease();
    else this.notifyClose();
    this.resolveClosed(this.error);
  }
}

function noop(): void {}

function judgeSilence(link: Link): void {
  link.judgeSilence();
}

function uncork(link: Link): void {
  link.flush();
}

/** Opens a TCP connection, resolving once it is established. */
export function dial(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ProtocolError(ErrorCode.HandshakeTimeout, `connect to ${formatAddress(host, port)} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
