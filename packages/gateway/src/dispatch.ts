import { createHash } from 'node:crypto';
import {
  decodeMessage,
  encodeClientClose,
  encodeClientConnect,
  encodeClientMessage,
  encodeClientPoison,
  EMPTY_SESSION_BYTES,
  FRAME_PREFIX_BYTES,
  Op,
  type ConnectInfo,
  type PoisonedEvent,
} from '@gateworker/protocol';
import type { Logger } from '@gateworker/protocol/node';
import { ClientState, CloseReasons, type Client, type CloseReason } from './client.js';
import type { Counters } from './counters.js';
import type { PendingEvents } from './pending.js';
import type { Router } from './router.js';
import type { LogThrottle } from './throttle.js';
import { AckResult, type SentEvent, type WorkerLink } from './worker-link.js';
import type { WorkerPool } from './worker-pool.js';

export interface PoisonOptions {
  /** Worker deaths an event may be in flight for before it is quarantined. */
  readonly maxDeliveries: number;
  /** After quarantine: keep the client ('continue') or close it ('close': ws 1011, tcp end). */
  readonly policy: 'continue' | 'close';
}

export interface DispatcherDeps {
  readonly pool: WorkerPool;
  readonly router: Router<WorkerLink>;
  readonly pending: PendingEvents;
  /** Live: `pendingEvents.policy` (see Gateway.reconfigure). */
  overflowPolicy: 'drop' | 'close';
  readonly poison: PoisonOptions;
  readonly counters: Counters;
  readonly log: Logger;
  readonly throttle: LogThrottle;
  /** Full client id, for logs. */
  clientId(client: Client): string;
  closeClient(client: Client, why: CloseReason): void;
}

const POISONED: Partial<Record<number, PoisonedEvent>> = { [Op.ClientConnect]: 'connect', [Op.ClientMessage]: 'message', [Op.ClientClose]: 'close' };

/**
 * Client events → worker links, keeping the "Gateway ⇄ worker" contract (docs/internals.md):
 * per-link sequence numbers, per-event acknowledgements and a flow-control window (WorkerLink),
 * per-client in-flight counts, held events (PendingEvents) while a client's in-flight events sit
 * on a draining or full link or no worker is usable, redelivery in order after a link loss, poison
 * quarantine, and the session-holder rule.
 *
 * Per-client order invariant: a client's events are either all in flight on `client.link`, or
 * in flight there followed by `client.held`; a new event never overtakes a held one, and held
 * events are only sent once the router allows it (nothing in flight on a non-routable link).
 *
 * Poison accounting: when a worker dies (its link closes without Drain and not by a heartbeat
 * timeout — a network cut or a frozen process is not a death), every event unacknowledged on it
 * is blamed once (any of them may have been running). A blamed event is a suspect: suspects are
 * not sent the usual way but probed, one at a time, on one link reserved for it (the probe link
 * takes no new events and gets a suspect only when nothing else is in flight on it). A worker
 * that dies on a probe is the suspect's fault alone; a suspect that is acknowledged is cleared.
 * So a bystander is blamed at most once before its probe clears it, and only a real poison event
 * reaches maxDeliveries: it is quarantined, replaced by a ClientPoison event (the handler's
 * onPoison), logged with the client id and a digest, and counted.
 */
export class EventDispatcher {
  private idleWaiters: (() => void)[] = [];
  /** Worker deaths of held (redelivered) frames, by frame: frames not in it have none. */
  private readonly deaths = new WeakMap<Buffer, number>();
  /** Clients whose oldest held event is a suspect, in the order they became so. */
  private readonly suspects = new Set<Client>();
  /** The link reserved for probing suspects, or null when none wait. */
  private probe: WorkerLink | null = null;

  constructor(private readonly deps: DispatcherDeps) {}

  /** Events waiting in the gateway. */
  get pendingCount(): number {
    return this.deps.pending.count;
  }

  connect(client: Client, info: ConnectInfo): void {
    const link = this.target(client);
    if (link === null) {
      if (this.admit(client, false)) this.hold(client, encodeClientConnect(0, client.num, null, info));
      return;
    }
    link.pushEvent(encodeClientConnect(link.peekSeq(), client.num, this.sessionFor(client, link, false), info, client.uid), client);
    this.sent(client, link);
  }

  /** `payload` may be a view of a read buffer: it is copied into the frame. */
  message(client: Client, payload: Uint8Array, binary: boolean): void {
    const link = this.target(client);
    if (link === null) {
      if (this.admit(client, false)) this.hold(client, encodeClientMessage(0, client.num, null, binary, payload));
      return;
    }
    link.pushEvent(encodeClientMessage(link.peekSeq(), client.num, this.sessionFor(client, link, false), binary, payload, client.uid), client);
    this.sent(client, link);
  }

  /** The client is gone: ClientClose always carries the session, and is never dropped by the bound. */
  close(client: Client): void {
    if (client.countedOn !== null) {
      client.countedOn.clients--;
      client.countedOn = null;
    }
    const link = this.target(client);
    if (link === null) {
      this.hold(client, encodeClientClose(0, client.num, null));
      return;
    }
    link.pushEvent(encodeClientClose(link.peekSeq(), client.num, this.sessionFor(client, link, true), client.uid), client);
    this.sent(client, link);
  }

  /** Cumulative Ack from a worker link. Returns false when it acknowledges events never sent (a protocol violation). */
  ack(link: WorkerLink, seq: number): boolean {
    const result = link.ackUpTo(seq, this.onAcked);
    if (result === AckResult.Invalid) return false;
    this.afterAcks();
    return true;
  }

  /** AckRanges from a worker link: flat inclusive [first, last] pairs. False on a range reaching events never sent. */
  ackRanges(link: WorkerLink, ranges: readonly number[]): boolean {
    for (let i = 0; i + 1 < ranges.length; i += 2) {
      if (link.ackRange(ranges[i] as number, ranges[i + 1] as number, this.onAcked) === AckResult.Invalid) return false;
    }
    this.afterAcks();
    return true;
  }

  /** A live change of `pendingEvents.policy`. */
  setOverflowPolicy(policy: 'drop' | 'close'): void {
    this.deps.overflowPolicy = policy;
  }

  /** A link became routable (WorkerReady): deliver what waits. */
  linkReady(): void {
    this.pumpProbe();
    this.flushWaiting();
  }

  /**
   * A link is gone: its unacknowledged events go to other workers (or back into the pending
   * buffer) in their original order, before any newer event of the same clients. `workerDied`:
   * the link was lost to a worker death (poison accounting), not a drain or a network cut.
   */
  linkLost(link: WorkerLink, workerDied: boolean): void {
    const suspect = link.suspect;
    const wasProbe = link === this.probe;
    if (wasProbe) {
      link.probing = false;
      this.probe = null;
    }
    const events = link.takeUnacked();
    if (events.length > 0) {
      const byClient = new Map<Client, Buffer[]>();
      let lost = 0;
      for (const event of events) {
        const { client, frame } = event;
        if (frame[FRAME_PREFIX_BYTES] === Op.ClientPoison) {
          // A poison notification is never redelivered: its worker died in onPoison.
          lost++;
          continue;
        }
        let list = byClient.get(client);
        if (list === undefined) byClient.set(client, (list = []));
        // Blame: on the probe link the suspect alone; elsewhere every event (any may have been running).
        const blamed = workerDied && (wasProbe ? event === suspect : true);
        const deaths = event.deaths + (blamed ? 1 : 0);
        if (blamed && deaths >= this.deps.poison.maxDeliveries) {
          list.push(this.quarantine(client, frame, deaths));
          continue;
        }
        if (deaths > 0) this.deaths.set(frame, deaths);
        list.push(frame);
      }
      for (const event of events) if (event.frame[FRAME_PREFIX_BYTES] === Op.ClientPoison) this.poisonHandled(event.client);
      if (lost > 0) {
        this.deps.counters.poisonNotificationsLost += lost;
        this.deps.log.warn({ link: link.id, workerId: link.workerId, lost }, 'a worker died in onPoison: the poison notification is dropped');
      }
      for (const [client, older] of byClient) {
        client.inflight = 0;
        client.link = null;
        if (older.length > 0) this.deps.pending.prepend(client, older);
        this.noteSuspect(client);
      }
      this.deps.counters.redeliveredEvents += events.length - lost;
      this.deps.log.warn(
        { link: link.id, workerId: link.workerId, events: events.length - lost, clients: byClient.size, workerDied },
        'worker link lost: redelivering unacknowledged events',
      );
    }
    // Links that were not routable before may now be the only ones: waiting clients retry.
    this.pumpProbe();
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

  private afterAcks(): void {
    // Acks opened the window: held events (a backlog, clients behind a full link) move on.
    if (this.probe !== null) this.pumpProbe();
    if (this.deps.pending.count > 0) this.flushWaiting();
    this.checkIdle();
  }

  /** Tracks whether the client's oldest held event is a suspect (it then waits for a probe). */
  private noteSuspect(client: Client): void {
    const head = client.held?.[0];
    if (head !== undefined && (this.deaths.get(head) ?? 0) > 0) this.suspects.add(client);
    else this.suspects.delete(client);
  }

  /**
   * Probes suspects one at a time on a reserved link: reserves the least busy usable link, waits
   * until nothing is in flight on it, sends one suspect, and does it again on its ack. Releases
   * the link when no suspect waits.
   */
  private pumpProbe(): void {
    if (this.suspects.size === 0) {
      if (this.probe !== null) {
        this.probe.probing = false;
        this.probe = null;
        this.flushWaiting();
      }
      return;
    }
    let probe = this.probe;
    if (probe !== null && !probe.routable) {
      probe.probing = false;
      probe = this.probe = null;
    }
    if (probe === null) {
      const usable = this.deps.pool.usable;
      if (usable.length === 0) return;
      probe = usable[0] as WorkerLink;
      for (const l of usable) if (l.unacked < probe.unacked) probe = l;
      probe.probing = true;
      this.probe = probe;
    }
    if (probe.unacked > 0) return;
    for (const client of this.suspects) {
      if (client.inflight > 0) continue;
      const frame = this.deps.pending.takeFirst(client, 1)[0] as Buffer;
      probe.suspect = this.sendHeld(client, probe, frame, this.deaths.get(frame) ?? 0);
      this.noteSuspect(client);
      return;
    }
  }

  /** Where a new event of this client goes now, or null to hold it. */
  private target(client: Client): WorkerLink | null {
    if (client.held !== null) return null;
    return this.deps.router.route(client.link, client.inflight, this.deps.pool.usable);
  }

  private hold(client: Client, frame: Buffer): void {
    this.deps.pending.append(client, frame);
    this.deps.counters.eventsHeld++;
  }

  private sent(client: Client, link: WorkerLink): void {
    client.link = link;
    client.inflight++;
    // The routing load: which link each live client's events go to.
    if (client.countedOn !== link && client.state !== ClientState.Closed) {
      if (client.countedOn !== null) client.countedOn.clients--;
      link.clients++;
      client.countedOn = link;
    }
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
    return client.session ?? EMPTY_SESSION_BYTES;
  }

  /** Room in the pending buffer for a new event? Applies the overflow policy when there is none. */
  private admit(client: Client, isClose: boolean): boolean {
    const { pending } = this.deps;
    if (isClose || !pending.full) return true;
    const info = { pending: pending.count, pendingBytes: pending.bytes, max: pending.max, maxBytes: pending.maxBytes };
    if (this.deps.overflowPolicy === 'close') {
      this.deps.counters.pendingOverflowCloses++;
      this.deps.throttle.warn('pending-close', info, 'events held in the gateway reached their bound: closing the client (1013)');
      this.deps.closeClient(client, CloseReasons.TryAgainLater);
    } else {
      this.deps.counters.eventsDroppedNoWorker++;
      this.deps.throttle.warn('pending-drop', info, 'events held in the gateway reached their bound: dropping client events');
    }
    return false;
  }

  private readonly onAcked = (event: SentEvent): void => {
    const client = event.client;
    if (event.frame[FRAME_PREFIX_BYTES] === Op.ClientPoison) this.poisonHandled(client);
    client.inflight--;
    if (client.inflight === 0 && client.held !== null) this.flush(client);
  };

  private flushWaiting(): void {
    const { pending, pool } = this.deps;
    if (pending.count === 0 || pool.usable.length === 0) return;
    for (const client of pending.clients()) {
      this.flush(client);
      if (!this.anyRoom()) return;
    }
  }

  private anyRoom(): boolean {
    for (const l of this.deps.pool.usable) if (l.hasRoom) return true;
    return false;
  }

  /** Sends a client's held events, oldest first, while the router and the window allow it. */
  private flush(client: Client): void {
    const { pending, router, pool } = this.deps;
    while (client.held !== null) {
      const link = router.route(client.link, client.inflight, pool.usable);
      if (link === null) return;
      const frame = pending.peek(client) as Buffer;
      // A suspect waits for its probe (pumpProbe), and the client's later events wait behind it.
      if ((this.deaths.get(frame) ?? 0) > 0) return;
      pending.takeFirst(client, 1);
      this.sendHeld(client, link, frame, 0);
    }
  }

  /** Re-encodes a held frame with the link's next seq and the session as the holder rule says. */
  private sendHeld(client: Client, link: WorkerLink, frame: Buffer, deaths: number): SentEvent {
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
      case Op.ClientPoison:
        out = encodeClientPoison(
          seq,
          client.num,
          this.sessionFor(client, link, false),
          event.event,
          event.deliveries,
          event.binary,
          event.payload,
          client.uid,
        );
        break;
      default:
        throw new Error(`held frame is not a client event (op ${event.op})`);
    }
    const sent = link.pushEvent(out, client, deaths);
    this.sent(client, link);
    return sent;
  }

  /** onPoison ran (or its worker died in it): policy 'close' closes the client now, so onPoison could still send it a last word. */
  private poisonHandled(client: Client): void {
    if (this.deps.poison.policy !== 'close' || !client.isOpen) return;
    this.deps.counters.poisonCloses++;
    this.deps.closeClient(client, CloseReasons.Poisoned);
  }

  /** The event ended `deaths` workers: log, count, apply the policy, and return the ClientPoison frame that replaces it. */
  private quarantine(client: Client, frame: Buffer, deaths: number): Buffer {
    const event = decodeMessage(frame.subarray(FRAME_PREFIX_BYTES));
    const kind = POISONED[event.op] ?? 'message';
    const payload = event.op === Op.ClientMessage ? event.payload : Buffer.alloc(0);
    const binary = event.op === Op.ClientMessage && event.binary;
    const digest = payload.length === 0 ? '' : createHash('sha256').update(payload).digest('hex').slice(0, 16);
    this.deps.counters.poisonEvents++;
    this.deps.log.warn(
      { clientId: this.deps.clientId(client), event: kind, deliveries: deaths, digest, bytes: payload.length, policy: this.deps.poison.policy },
      'poison event quarantined: it ended its worker maxDeliveries times',
    );
    return encodeClientPoison(0, client.num, null, kind, deaths, binary, payload);
  }
}
