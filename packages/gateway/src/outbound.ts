import type { Logger } from '@gateworker/protocol/node';
import { CloseReasons, FRAMING_KINDS, type Client, type ClientSocket, type CloseReason } from './client.js';
import type { Counters } from './counters.js';
import type { LogThrottle } from './throttle.js';

export interface OutboundDeps {
  readonly maxBytes: number;
  readonly policy: 'close' | 'drop';
  readonly counters: Counters;
  readonly log: Logger;
  readonly throttle: LogThrottle;
  closeClient(client: Client, why: CloseReason): void;
}

/**
 * Bytes to client sockets, with the per-client send-buffer bound. A broadcast frames the payload
 * once per framing kind and writes that same Buffer to every socket.
 *
 * A socket written to is corked until the end of the event-loop turn (one setImmediate for all
 * of them), so everything a client gets in one turn — several broadcasts from one link read, a
 * reply and a broadcast — leaves in one syscall. The syscall per socket is what a send costs.
 */
export class Outbound {
  /** Sockets corked by `write` in this turn, uncorked by `flush`. */
  private corked: ClientSocket[] = [];
  private flushScheduled = false;
  private readonly flushNow = (): void => this.flush();

  constructor(private readonly deps: OutboundDeps) {}

  /** One message to one client. */
  send(client: Client, payload: Uint8Array, binary: boolean): void {
    if (!client.isOpen) return;
    this.write(client, client.transport.frame(payload, binary));
  }

  /** One message to many clients; `exclude` holds client numbers to skip. */
  broadcast(clients: Iterable<Client>, payload: Uint8Array, binary: boolean, exclude: ReadonlySet<number> | null): void {
    const frames: (Buffer | undefined)[] = new Array<Buffer | undefined>(FRAMING_KINDS);
    for (const client of clients) {
      if (!client.isOpen || (exclude !== null && exclude.has(client.num))) continue;
      const framing = client.transport.framing;
      let bytes = frames[framing];
      if (bytes === undefined) frames[framing] = bytes = client.transport.frame(payload, binary);
      this.write(client, bytes);
    }
  }

  /** Writes already-framed bytes, applying the send-buffer policy. */
  write(client: Client, bytes: Buffer): boolean {
    const socket = client.socket;
    if (!socket.writable) return false;
    if (socket.writableLength + bytes.length > this.deps.maxBytes) {
      this.overflow(client, bytes.length);
      return false;
    }
    // writableCorked > 0 here means this turn's cork (ws corks and uncorks synchronously).
    if (socket.writableCorked === 0) {
      socket.cork();
      this.corked.push(socket);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.flushNow);
      }
    }
    socket.write(bytes);
    const counters = this.deps.counters;
    counters.messagesOut++;
    counters.bytesOut += bytes.length;
    return true;
  }

  /** Uncorks every socket written to since the last flush. */
  flush(): void {
    this.flushScheduled = false;
    const sockets = this.corked;
    this.corked = [];
    for (const socket of sockets) socket.uncork();
  }

  private overflow(client: Client, bytes: number): void {
    const { counters, throttle } = this.deps;
    const info = { client: client.num, queuedBytes: client.socket.writableLength, messageBytes: bytes, maxBytes: this.deps.maxBytes };
    if (this.deps.policy === 'drop') {
      counters.slowClientDrops++;
      throttle.warn('slow-drop', info, 'slow client: send buffer full, message dropped');
    } else {
      counters.slowClientCloses++;
      throttle.warn('slow-close', info, 'slow client: send buffer full, closing it');
      this.deps.closeClient(client, CloseReasons.SlowClient);
    }
  }
}
