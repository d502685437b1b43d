import type { Logger } from '@gateworker/protocol/node';
import { silentLogger } from '@gateworker/protocol/node';
import { BusError } from './errors.js';
import type { BusTarget } from './target.js';

/** Largest message body accepted, in bytes (the JSON text, base64 included); larger ones are rejected as too_large. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
export const DEFAULT_REDIS_CHANNEL = 'gateworker:push';
export const DEFAULT_AMQP_EXCHANGE = 'gateworker.push';
/** First reconnect delay after a broker is lost, in milliseconds; doubles per failed attempt. */
export const DEFAULT_RECONNECT_MIN_DELAY_MS = 100;
/** Longest reconnect delay, in milliseconds. */
export const DEFAULT_RECONNECT_MAX_DELAY_MS = 5_000;
/** Routing mode: binding changes are collected this long, in milliseconds, then applied in one batch. */
export const DEFAULT_BIND_DELAY_MS = 20;
/** Routing mode: a batch is applied at once when it reaches this many binding changes. */
export const DEFAULT_BIND_BATCH_MAX = 1_000;
/** Minimum time between two "bad message" log lines, in milliseconds. */
export const DEFAULT_REJECT_LOG_INTERVAL_MS = 10_000;
/** Characters of a bad message quoted in its log line. */
export const REJECT_SAMPLE_CHARS = 200;

/** How pushes reach gateways over AMQP; the first is the default. */
export const AMQP_MODES = ['fanout', 'routing'] as const;
export type AmqpMode = (typeof AMQP_MODES)[number];

export interface BusOptions {
  /** The gateway whose clients the bus pushes to (a Gateway satisfies it). */
  target: BusTarget;
  redis?: { url: string; channel?: string };
  amqp?: { url: string; exchange?: string; mode?: AmqpMode };
  maxMessageBytes?: number;
  reconnect?: { minDelayMs?: number; maxDelayMs?: number };
  bindDelayMs?: number;
  bindBatchMax?: number;
  rejectLogIntervalMs?: number;
  logger?: Logger;
}

export interface ResolvedBusOptions {
  readonly target: BusTarget;
  readonly redis: { readonly url: string; readonly channel: string } | null;
  readonly amqp: { readonly url: string; readonly exchange: string; readonly mode: AmqpMode } | null;
  readonly maxMessageBytes: number;
  readonly reconnect: { readonly minDelayMs: number; readonly maxDelayMs: number };
  readonly bindDelayMs: number;
  readonly bindBatchMax: number;
  readonly rejectLogIntervalMs: number;
  readonly logger: Logger;
}

function positiveInt(key: string, v: number | undefined, fallback: number, min = 1): number {
  if (v === undefined) return fallback;
  if (!Number.isSafeInteger(v) || v < min) throw BusError.invalidOptions(key, `must be an integer >= ${min} (got ${v})`);
  return v;
}

function url(key: string, v: string, schemes: readonly string[]): string {
  let parsed: URL;
  try {
    parsed = new URL(v);
  } catch {
    throw BusError.invalidOptions(key, `"${v}" is not a URL`);
  }
  if (!schemes.includes(parsed.protocol)) throw BusError.invalidOptions(key, `scheme must be one of ${schemes.join(' ')} (got ${parsed.protocol})`);
  return v;
}

export function resolveBusOptions(o: BusOptions): ResolvedBusOptions {
  const minDelayMs = positiveInt('reconnect.minDelayMs', o.reconnect?.minDelayMs, DEFAULT_RECONNECT_MIN_DELAY_MS);
  const maxDelayMs = positiveInt('reconnect.maxDelayMs', o.reconnect?.maxDelayMs, DEFAULT_RECONNECT_MAX_DELAY_MS, minDelayMs);
  const mode = o.amqp?.mode ?? AMQP_MODES[0];
  if (!AMQP_MODES.includes(mode)) throw BusError.invalidOptions('amqp.mode', `must be ${AMQP_MODES.join(' or ')} (got ${mode})`);
  const channel = o.redis?.channel ?? DEFAULT_REDIS_CHANNEL;
  if (channel === '') throw BusError.invalidOptions('redis.channel', 'must not be empty');
  const exchange = o.amqp?.exchange ?? DEFAULT_AMQP_EXCHANGE;
  if (exchange === '' || Buffer.byteLength(exchange) > 255) throw BusError.invalidOptions('amqp.exchange', 'must be 1-255 bytes');
  return {
    target: o.target,
    redis: o.redis === undefined ? null : { url: url('redis.url', o.redis.url, ['redis:', 'rediss:']), channel },
    amqp: o.amqp === undefined ? null : { url: url('amqp.url', o.amqp.url, ['amqp:', 'amqps:']), exchange, mode },
    maxMessageBytes: positiveInt('maxMessageBytes', o.maxMessageBytes, DEFAULT_MAX_MESSAGE_BYTES),
    reconnect: { minDelayMs, maxDelayMs },
    bindDelayMs: positiveInt('bindDelayMs', o.bindDelayMs, DEFAULT_BIND_DELAY_MS, 0),
    bindBatchMax: positiveInt('bindBatchMax', o.bindBatchMax, DEFAULT_BIND_BATCH_MAX),
    rejectLogIntervalMs: positiveInt('rejectLogIntervalMs', o.rejectLogIntervalMs, DEFAULT_REJECT_LOG_INTERVAL_MS, 0),
    logger: o.logger ?? silentLogger,
  };
}

/** Reconnect delay before attempt `attempt` (1, 2, …): doubling from min to max, with ±20 % jitter so gateways spread out. */
export function backoffDelayMs(attempt: number, r: ResolvedBusOptions['reconnect']): number {
  const base = Math.min(r.maxDelayMs, r.minDelayMs * 2 ** Math.min(attempt - 1, 20));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}
