import { encodeStreamAck } from '@gateworker/protocol';
import type { Logger } from '@gateworker/protocol/node';
import type { Counters } from './counters.js';
import type { WorkerLink } from './worker-link.js';

/** How long a sender's stream state is kept after its last link closed, in milliseconds. */
export const DEFAULT_STREAM_STATE_TTL_MS = 10 * 60_000;
/** Most senders whose link is closed kept at once (the oldest closed are forgotten first), in senders. */
export const DEFAULT_STREAM_STATE_MAX_IDLE = 10_000;

/** What the gateway remembers of one sender instance's command stream. */
export interface SenderStream {
  readonly sender: string;
  /** Stream ops of this sender applied so far (they are numbered 1, 2, … across links). */
  applied: number;
  /** The link the sender currently streams on; ops from any other link are stale and ignored. */
  link: WorkerLink | null;
  /** Monotonic time the last link closed (for forgetting). */
  idleSince: number;
}

/**
 * Command streams, gateway side (docs/protocol.md "Command streams"). A worker or GatewayClient
 * opens each link with StreamResume {sender, first}; every stream op it sends afterwards carries
 * the next number implicitly. An op numbered at or below what was applied is a re-sent duplicate
 * and skipped, so each command is applied at most once even across links. What was applied is
 * acknowledged once per event-loop turn (StreamAck), so the sender can free its copies.
 *
 * Memory is bounded: a sender's state is forgotten `ttlMs` after its last link closed, and at most
 * `maxIdle` idle senders are kept (the state is ~100 bytes).
 */
export class CommandStreams {
  private readonly senders = new Map<string, SenderStream>();
  /** Links whose applied count changed this turn. */
  private ackDue: WorkerLink[] = [];
  private ackScheduled = false;
  private sweepTimer: NodeJS.Timeout | null = null;
  private readonly flush = (): void => this.flushAcks();

  constructor(
    private readonly counters: Counters,
    private readonly log: Logger,
    private readonly ttlMs: number = DEFAULT_STREAM_STATE_TTL_MS,
    private readonly maxIdle: number = DEFAULT_STREAM_STATE_MAX_IDLE,
  ) {}

  get size(): number {
    return this.senders.size;
  }

  /** The sender (re)opens its stream on `link`: ops that follow are numbers first, first + 1, … */
  resume(link: WorkerLink, sender: string, first: number): void {
    let state = this.senders.get(sender);
    if (state === undefined) {
      state = { sender, applied: 0, link: null, idleSince: 0 };
      this.senders.set(sender, state);
    }
    if (state.link !== null && state.link !== link) {
      // A newer link supersedes an old one that is not yet found dead: what the old one still
      // delivers is ignored (it is re-sent on the new link if it was not applied).
      state.link.stream = null;
    }
    if (first > state.applied + 1) {
      // The sender no longer holds ops applied+1 … first-1 (dropped past its bounds, or this
      // gateway forgot the stream): they are lost, counted and logged.
      const lost = first - 1 - state.applied;
      if (state.applied > 0 || state.link !== null) {
        this.counters.streamOpsLost += lost;
        this.log.warn(
          { link: link.id, sender, lost },
          `command stream resumed with a gap: ${lost} commands the sender no longer held were never applied`,
        );
      } else {
        this.log.debug({ link: link.id, sender, first }, 'command stream resumed by a sender this gateway does not remember');
      }
      state.applied = first - 1;
    }
    this.log.debug({ link: link.id, sender, first, applied: state.applied }, 'command stream resumed');
    state.link = link;
    state.idleSince = 0;
    link.stream = state;
    link.streamNext = first;
    this.counters.streamResumes++;
    this.queueAck(link);
  }

  /**
   * Called for every stream op on a link that opened a stream: true to apply it, false to skip it
   * (a duplicate already applied, or an op from a superseded link).
   */
  admit(link: WorkerLink): boolean {
    const state = link.stream;
    if (state === null) {
      this.counters.streamOpsStale++;
      return false;
    }
    const n = link.streamNext++;
    if (n <= state.applied) {
      this.counters.streamOpsDuplicate++;
      return false;
    }
    state.applied = n;
    this.queueAck(link);
    return true;
  }

  /** The link closed: its sender's state is kept for a while, for the sender's next link. */
  linkClosed(link: WorkerLink): void {
    const state = link.stream;
    if (state === null || state.link !== link) return;
    state.link = null;
    state.idleSince = performance.now();
    link.stream = null;
    this.startSweeping();
    this.evictOverflow();
  }

  close(): void {
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    this.senders.clear();
    this.ackDue = [];
  }

  private queueAck(link: WorkerLink): void {
    if (link.ackQueued) return;
    link.ackQueued = true;
    this.ackDue.push(link);
    if (!this.ackScheduled) {
      this.ackScheduled = true;
      setImmediate(this.flush);
    }
  }

  /** One StreamAck per link per event-loop turn, after the turn's ops were applied. */
  private flushAcks(): void {
    this.ackScheduled = false;
    const due = this.ackDue;
    this.ackDue = [];
    for (const link of due) {
      link.ackQueued = false;
      const state = link.stream;
      if (state !== null && !link.closed) link.link.sendFrame(encodeStreamAck(state.applied));
    }
  }

  private startSweeping(): void {
    if (this.sweepTimer !== null) return;
    this.sweepTimer = setInterval(() => this.sweep(), Math.min(this.ttlMs, 60_000));
    this.sweepTimer.unref();
  }

  private sweep(): void {
    const now = performance.now();
    let idle = 0;
    for (const [sender, state] of this.senders) {
      if (state.link !== null) continue;
      if (now - state.idleSince >= this.ttlMs) this.senders.delete(sender);
      else idle++;
    }
    if (idle === 0 && this.sweepTimer !== null) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = null;
    }
  }

  /** Past maxIdle idle senders, the longest idle are forgotten. */
  private evictOverflow(): void {
    let idle = 0;
    for (const state of this.senders.values()) if (state.link === null) idle++;
    if (idle <= this.maxIdle) return;
    const oldest = [...this.senders.values()].filter((s) => s.link === null).sort((a, b) => a.idleSince - b.idleSince);
    for (const state of oldest.slice(0, idle - this.maxIdle)) this.senders.delete(state.sender);
  }
}
