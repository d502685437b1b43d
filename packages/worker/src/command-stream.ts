import { encodeMessage, Op } from '@gateworker/protocol';
import type { Message } from '@gateworker/protocol';
import type { Logger } from '@gateworker/protocol/node';
import type { LinkSession } from './link-session.js';

/** Default bound on the commands retained for one gateway (unacknowledged or waiting for a link), in bytes. */
export const DEFAULT_COMMAND_BUFFER_MAX_BYTES = 16 * 1024 * 1024;
/** Default bound on how long a command is retained for one gateway, in milliseconds. */
export const DEFAULT_COMMAND_BUFFER_MAX_AGE_MS = 60_000;
/** A burst of drops for one gateway ends after this long without a drop, in milliseconds. */
export const DROP_BURST_QUIET_MS = 5_000;

export interface CommandBufferBounds {
  readonly maxBytes: number;
  readonly maxAgeMs: number;
}

export type DropReason = 'buffer full' | 'too old' | 'gateway gone' | 'unknown gateway' | 'closing';

/** Counters of every command stream of one worker / GatewayClient. */
export class CommandCounters {
  /** Commands given to a stream. */
  queued = 0;
  /** Commands re-sent on a new link (their earlier copy may or may not have been applied: the gateway skips duplicates). */
  resent = 0;
  /** Commands dropped without ever reaching a gateway (bounds, a gateway gone for good, an unknown gateway). */
  dropped = 0;
  /** Commands sent on a link that later died, dropped from the buffer before the gateway confirmed them. */
  unconfirmed = 0;
}

/**
 * Drops are never silent, but a burst of them must not flood the log: per gateway, the first drop
 * of a burst is logged at once, the rest are counted and summed up when the burst ends.
 */
export class DropLog {
  private readonly bursts = new Map<string, { count: number; reason: DropReason; timer: NodeJS.Timeout }>();

  constructor(
    private readonly log: Logger,
    private readonly counters: CommandCounters,
  ) {}

  note(gateway: string, count: number, reason: DropReason, unconfirmed = false): void {
    if (count <= 0) return;
    if (unconfirmed) this.counters.unconfirmed += count;
    else this.counters.dropped += count;
    const key = `${gateway}\u0000${reason}`;
    const burst = this.bursts.get(key);
    if (burst !== undefined) {
      burst.count += count;
      burst.timer.refresh();
      return;
    }
    const what = unconfirmed ? 'unconfirmed commands (sent on a link that died) no longer retained' : 'commands dropped';
    this.log.warn({ gateway, count, reason }, `${what} for gateway ${gateway}: ${reason}`);
    const timer = setTimeout(() => this.endBurst(key, gateway), DROP_BURST_QUIET_MS);
    timer.unref();
    this.bursts.set(key, { count: 0, reason, timer });
  }

  close(): void {
    for (const [key, burst] of this.bursts) {
      clearTimeout(burst.timer);
      this.flush(key, burst.count, burst.reason);
    }
    this.bursts.clear();
  }

  private endBurst(key: string, _gateway: string): void {
    const burst = this.bursts.get(key);
    if (burst === undefined) return;
    this.bursts.delete(key);
    this.flush(key, burst.count, burst.reason);
  }

  private flush(key: string, count: number, reason: DropReason): void {
    if (count === 0) return;
    const gateway = key.slice(0, key.indexOf('\u0000'));
    this.log.warn(
      { gateway, count, reason, total: this.counters.dropped },
      `${count} more commands for gateway ${gateway} dropped in that burst: ${reason}`,
    );
  }
}

/**
 * The command stream to one gateway (docs/protocol.md "Command streams"): every command for the
 * gateway is kept, in order, until the gateway acknowledges having applied it. On each new link
 * the stream resumes: StreamResume {sender, first} and every retained command again, oldest
 * first; the gateway skips those it had applied, so a command is applied at most once even when
 * the link died between the write and the acknowledgement. Commands are numbered implicitly by
 * their position on the stream: nothing is added to a frame.
 *
 * Bounded per gateway in bytes and age: past the bound the oldest are dropped, counted and logged
 * once per burst (a command sent on a live link but not yet confirmed is only "unconfirmed").
 */
export class CommandStream {
  private frames: (Buffer | undefined)[] = [];
  private times: number[] = [];
  private head = 0;
  private bytes = 0;
  /** Stream number of the oldest retained command. */
  private headNumber = 1;
  /** Retained commands (from the head) written on the current link. */
  private sentOnLink = 0;
  private session: LinkSession | null = null;
  private ageTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    readonly label: string,
    private readonly sender: string,
    private readonly bounds: CommandBufferBounds,
    private readonly counters: CommandCounters,
    private readonly drops: DropLog,
  ) {}

  /** Commands held (unconfirmed or waiting for a link). */
  get length(): number {
    return this.frames.length - this.head;
  }

  get retainedBytes(): number {
    return this.bytes;
  }

  get connected(): boolean {
    return this.session !== null;
  }

  /** Queues one stream-op frame; written at once while linked. */
  send(frame: Buffer): void {
    if (this.closed) {
      this.drops.note(this.label, 1, 'closing');
      return;
    }
    this.counters.queued++;
    this.frames.push(frame);
    this.times.push(performance.now());
    this.bytes += frame.length;
    if (this.session !== null) {
      this.session.link.sendFrame(frame);
      this.sentOnLink++;
    }
    if (this.bytes > this.bounds.maxBytes) this.evict(() => this.bytes > this.bounds.maxBytes, 'buffer full');
  }

  sendMessage(message: Message): void {
    this.send(encodeMessage(message));
  }

  /** A new link: resume the stream on it, re-sending every retained command. Call before anything else is sent on it. */
  attach(session: LinkSession): void {
    this.pruneOld();
    this.clearAgeTimer();
    this.session = session;
    session.link.send({ op: Op.StreamResume, sender: this.sender, first: this.headNumber });
    for (let i = this.head; i < this.frames.length; i++) session.link.sendFrame(this.frames[i] as Buffer);
    this.counters.resent += this.length;
    this.sentOnLink = this.length;
  }

  /** The link died: retained commands wait for the next one (bounded by age and bytes). */
  detach(session: LinkSession): void {
    if (this.session !== session) return;
    this.session = null;
    this.sentOnLink = 0;
    this.armAgeTimer();
  }

  /** The gateway applied every command numbered ≤ applied. */
  ack(applied: number): void {
    while (this.head < this.frames.length && this.headNumber <= applied) {
      this.shift();
      if (this.sentOnLink > 0) this.sentOnLink--;
    }
  }

  /** The gateway is gone for good (or we are closing): what is retained will never be applied. */
  discard(reason: DropReason): void {
    this.closed = true;
    this.clearAgeTimer();
    const unconfirmed = Math.min(this.sentOnLink, this.length);
    const neverSent = this.length - unconfirmed;
    while (this.head < this.frames.length) this.shift();
    this.sentOnLink = 0;
    this.session = null;
    this.drops.note(this.label, neverSent, reason);
    // Closing flushes the link: what it carried is applied unless the gateway is gone as well.
    if (reason !== 'closing') this.drops.note(this.label, unconfirmed, reason, true);
  }

  /** Drops the oldest commands while `over()` holds. */
  private evict(over: () => boolean, reason: DropReason): void {
    let dropped = 0;
    let unconfirmed = 0;
    while (this.head < this.frames.length && over()) {
      this.shift();
      if (this.sentOnLink > 0) {
        this.sentOnLink--;
        unconfirmed++;
      } else dropped++;
    }
    this.drops.note(this.label, dropped, reason);
    // Sent on a live link, merely unconfirmed: if that link dies they cannot be re-sent.
    this.drops.note(this.label, unconfirmed, reason, true);
  }

  private pruneOld(): void {
    const limit = performance.now() - this.bounds.maxAgeMs;
    this.evict(() => (this.times[this.head] as number) < limit, 'too old');
  }

  private shift(): void {
    const frame = this.frames[this.head] as Buffer;
    this.bytes -= frame.length;
    this.frames[this.head] = undefined;
    this.head++;
    this.headNumber++;
    if (this.head === this.frames.length) {
      this.frames = [];
      this.times = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.frames.length) {
      this.frames = this.frames.slice(this.head);
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }

  /** While unlinked, commands past their age are dropped (and logged) even if nothing else happens. */
  private armAgeTimer(): void {
    if (this.ageTimer !== null || this.length === 0 || this.closed) return;
    const due = (this.times[this.head] as number) + this.bounds.maxAgeMs - performance.now();
    this.ageTimer = setTimeout(
      () => {
        this.ageTimer = null;
        if (this.session !== null) return;
        this.pruneOld();
        this.armAgeTimer();
      },
      Math.max(10, due),
    );
    this.ageTimer.unref();
  }

  private clearAgeTimer(): void {
    if (this.ageTimer !== null) clearTimeout(this.ageTimer);
    this.ageTimer = null;
  }
}
