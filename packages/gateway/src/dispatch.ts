import {
  decodeMessage, encodeClientClose, encodeClientConnect, encodeClientMessage, FRAME_PREFIX_BYTES, Op,
  type ConnectInfo,
} from '@gateworker/protocol';
import type { Logger } from '@gateworker/protocol/node';
import { CloseReasons, type Client, type CloseReason } from './client.js';
import type { Counters } from './counters.js';
import type { PendingEvents } from './pending.js';
import type { Router } from './router.js';
import { EMPTY_SESSION } from './session.js';
import type { LogThrottle } from './throttle.js';
import { AckResult, type WorkerLink } from './worker-link.js';
import type { WorkerPool } from './worker-pool.js';

export interface DispatcherDeps {
  readonly pool: WorkerPool;
  readonly router: Router<WorkerLink>;
  readonly pending: PendingEvents;
  readonly overflowPolicy: 'drop' | 'close';
  readonly counters: Counters;
  readonly log: Logger;
  readonly throttle: LogThrottle;
  closeClient(client: Client, why: CloseReason): void;
}

/**
 * Client events → worker links, keeping the "Gateway ⇄ worker" contract (docs/internals.md):
 * per-link sequence numbers and unacknowledged queues (WorkerLink), per-client in-flight counts,
 * held events while a client's in-flight events sit on a draining link or no worker is usable,
 * redelivery in order after a link loss, and the session-holder rule.
 *
 * Per-client order invariant: a client's events are either all in flight on `client.link`, or
 * in flight there followed by `client.held`; a new event never overtakes a held one, and held
 * events are only sent once the router allows it (nothing in flight on a non-routable link).
 */
export class EventDispatcher {
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly deps: DispatcherDeps) {}

  /** Events waiting in the gateway. */
  get pendingCount(): number {
    return this.deps.pending.count;
  }

  connect(client: Client, info: ConnectInfo): void {
    const link = this.target(client);
    if (link === null) {
      if (this.admit(client, false)) this.deps.pending.append(client, encodeClientConnect(0, client.num, null, info));
      return;
    }
    link.pushEvent(encodeClientConnect(link.peekSeq(), client.num, this.sessionFor(client, link, false), info, client.uid), client);
    this.sent(client, link);
  }

  /** `payload` may be a view of a read buffer: it is copied into the frame. */
  message(client: Client, payload: Uint8Array, binary: boolean): void {
    const link = this.target(client);
    if (link === null) {
      if (this.admit(client, false)) this.deps.pending.append(client, encodeClientMessage(0, client.num, null, binary, payload));
      return;
    }
    link.pushEvent(encodeClientMessage(link.peekSeq(), client.num, this.sessionFor(client, link, false), binary, payload, client.uid), client);
    this.sent(client, link);
  }

  /** The client is gone: ClientClose always carries the session, and is never dropped by the bound. */
  close(client: Client): void {
    const link = this.target(client);
    if (link === null) {
      this.deps.pending.append(client, encodeClientClose(0, client.num, null));
      return;
    }
    link.pushEvent(encodeClientClose(link.peekSeq(), client.num, this.sessionFor(client, link, true), client.uid), client);
    this.sent(client, link);
  }

  /** Ack from a worker link. Returns false when it acknowledges events never sent (a protocol violation). */
  ack(link: WorkerLink, seq: number): boolean {
    const result = link.ack(seq, this.onAcked);
    if (result === AckResult.Invalid) return false;
    this.checkIdle();
    return true;
  }

  /** A link became routable (WorkerReady): deliver what waits. */
  linkReady(): void {
    this.flushWaiting();
  }

  /**
   * A link is gone: its unacknowledged events go to other workers (or back into the pending
   * buffer) in their original order, before any newer event of the same clients.
   */
  linkLost(link: WorkerLink): void {
    const { frames, clients } = link.takeUnacked();
    if (frames.length > 0) {
      const byClient = new Map<Client, Buffer[]>();
      for (let i = 0; i < frames.length; i++) {
        const client = clients[i] as Client;
        const list = byClient.get(client);
        if (list === undefined) byClient.set(client, [frames[i] as Buffer]);
        else list.push(frames[i] as Buffer);
      }
      for (const [client, older] of byClient) {
        client.inflight = 0;
        client.link = null;
        this.deps.pending.prepend(client, older);
      }
      this.deps.counters.redeliveredEvents += frames.length;
      this.deps.log.warn({ link: link.id, workerId: link.workerId, events: frames.length, clients: byClient.size }, 'worker link lost: redelivering unacknowledged events');
      for (const client of byClient.keys()) this.flush(client);
    }
    // Links that were not routable before may now be the only ones: waiting clients retry.
    this.flushWaiting();
    this.checkIdle();
  }

  /** Resolves once nothing is pending and every event has been acknowledged (or no worker is left). */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    const { pool, pending } = this.deps;
    if (pool.unackedTotal() > 0) return false;
    return pending.count === 0 || pool.usable.length === 0;
  }

  private checkIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Where a new event of this client goes now, or null to hold it. */
  private target(client: Client): WorkerLink | null {
    if (client.held !== null) return null;
    return this.deps.router.route(client.link, client.inflight, this.deps.pool.usable);
  }

  private sent(client: Client, link: WorkerLink): void {
    client.link = link;
    client.inflight++;
  }

  /**
   * The session bytes an event to `link` must carry: null when the link already holds the
   * current version (and the event does not always carry it). Sending makes `link` the holder.
   */
  private sessionFor(client: Client, link: WorkerLink, always: boolean): Uint8Array | null {
    // The uid travels with the session (encode* take client.uid): a link that does not hold the
    // current state gets both, even when neither was ever set, so a stale copy is replaced.
    if (!always && client.sessionHolder === link.id) return null;
    client.sessionHolder = link.id;
    return client.session ?? EMPTY_SESSION;
  }

  /** Room in the pending buffer for a new event? Applies the overflow policy when there is none. */
  private admit(client: Client, isClose: boolean): boolean {
    const { pending } = this.deps;
    if (isClose || !pending.full) return true;
    if (this.deps.overflowPolicy === 'close') {
      this.deps.counters.pendingOverflowCloses++;
      this.deps.throttle.warn('pending-close', { pending: pending.count, max: pending.max }, 'no worker available and the pending buffer is full: closing the client (1013)');
      this.deps.closeClient(client, CloseReasons.TryAgainLater);
    } else {
      this.deps.counters.eventsDroppedNoWorker++;
      this.deps.throttle.warn('pending-drop', { pending: pending.count, max: pending.max }, 'no worker available and the pending buffer is full: dropping client events');
    }
    return false;
  }

  private readonly onAcked = (client: Client): void => {
    client.inflight--;
    if (client.inflight === 0 && client.held !== null) this.flush(client);
  };

  private flushWaiting(): void {
    if (this.deps.pending.count === 0 || this.deps.pool.usable.length === 0) return;
    for (const client of this.deps.pending.clients()) this.flush(client);
  }

  /** Sends a client's held events if the router allows it now. */
  private flush(client: Client): void {
    if (client.held === null) return;
    const link = this.deps.router.route(client.link, client.inflight, this.deps.pool.usable);
    if (link === null) return;
    const held = this.deps.pending.take(client) as Buffer[];
    for (const frame of held) this.sendHeld(client, link, frame);
  }

  /** Re-encodes a held frame with the link's next seq and the session as the holder rule says. */
  private sendHeld(client: Client, link: WorkerLink, frame: Buffer): void {
    const event = decodeMessage(frame.subarray(FRAME_PREFIX_BYTES));
    const seq = link.peekSeq();
    let out: Buffer;
    switch (event.op) {
      case Op.ClientConnect:
        out = encodeClientConnect(seq, client.num, this.sessionFor(client, link, false), event.info, client.uid);
        break;
      case Op.ClientMessage:
        out = encodeClientMessage(seq, client.num, this.sessionFor(client, link, false), event.binary, event.payload, client.uid);
        break;
      case Op.ClientClose:
        out = encodeClientClose(seq, client.num, this.sessionFor(client, link, true), client.uid);
        break;
      default:
        throw new Error(`held frame is not a client event (op ${event.op})`);
    }
    link.pushEvent(out, client);
    this.sent(client, link);
  }
}
