/**
 * The suite's clock: CI runs short fault windows on short link heartbeats; GW_MULTIHOST_FULL=1
 * runs the issue's own windows (20–30 s) on the default heartbeats (5 s ping, dead after 15 s),
 * which is how the figures in docs/operations.md were measured.
 */

export const FULL = process.env.GW_MULTIHOST_FULL === '1';

/**
 * Internal-link heartbeat (`links.heartbeat`, every register and gateway ⇄ worker link): in CI a
 * silent link is judged dead after 4 s (+ ≤ 1 s of check granularity) instead of 15 s, so the
 * windows below still outlast detection and stay short.
 */
export const LINKS: Record<string, unknown> = FULL ? {} : { links: { heartbeat: { interval: '1s', timeout: '4s' } } };

/** Fault windows, ms: each outlasts the detection time of the heartbeat above. */
export const WINDOW = FULL
  ? { registersDown: 20_000, gatewayCut: 30_000, workerCut: 30_000, freeze: 30_000, clockHold: 30_000 }
  : { registersDown: 8_000, gatewayCut: 10_000, workerCut: 10_000, freeze: 10_000, clockHold: 10_000 };
