import { RejectReason } from './message.js';

/**
 * idle: not started · connecting: first connection under way · ready: subscribed (and, in
 * routing mode, bound) · reconnecting: lost, retrying with backoff · closed: stopped.
 */
export type BridgeState = 'idle' | 'connecting' | 'ready' | 'reconnecting' | 'closed';
export type BridgeKind = 'redis' | 'amqp';

/** Monotonic counters of one bridge (plain fields). */
export class BridgeCounters {
  state: BridgeState = 'idle';
  /** Connections established (the first and every reconnect). */
  connects = 0;
  /** Connections lost (not counting close()). */
  disconnects = 0;
  /** Messages received from the broker. */
  received = 0;
  /** Messages that were valid and applied to this gateway's clients (possibly reaching none). */
  applied = 0;
  /** Client writes made for those messages. */
  deliveries = 0;
  readonly rejected: Record<RejectReason, number> = Object.fromEntries(Object.values(RejectReason).map((r) => [r, 0])) as Record<
    RejectReason,
    number
  >;
}

/** A bridge as stats()/snapshot() report it: plain data for status and /metrics. */
export interface BridgeSnapshot {
  bridge: BridgeKind;
  state: BridgeState;
  /** 1 when ready, else 0 (a gauge). */
  up: 0 | 1;
  connects: number;
  disconnects: number;
  received: number;
  applied: number;
  deliveries: number;
  rejected: Record<RejectReason, number>;
  /** Redis: the channel; AMQP: the exchange. */
  source: string;
  /** AMQP only. */
  mode?: 'fanout' | 'routing';
  /** AMQP routing mode: routing keys bound to this gateway's queue now. */
  bindings?: number;
}

export function snapshotOf(bridge: BridgeKind, c: BridgeCounters, source: string): BridgeSnapshot {
  return {
    bridge,
    state: c.state,
    up: c.state === 'ready' ? 1 : 0,
    connects: c.connects,
    disconnects: c.disconnects,
    received: c.received,
    applied: c.applied,
    deliveries: c.deliveries,
    rejected: { ...c.rejected },
    source,
  };
}
