import { ErrorCode, ProtocolError } from './errors.js';
import { DEFAULT_MAX_FRAME_BYTES } from './frame.js';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, HANDSHAKE_MAX_FRAME_BYTES } from './handshake.js';

/**
 * Options of an internal link (register ⇄ gateway ⇄ worker): one shape taken as `link` by
 * RegisterServer, RegisterClient, Gateway, BusinessWorker and GatewayClient, defaulted and
 * validated once by resolveLinkOptions. Everything below (Link, acceptLink, connectLink) takes
 * the resolved type only, so no default is applied anywhere else.
 */

/** Default ping interval on internal links, in milliseconds. */
export const DEFAULT_LINK_PING_INTERVAL_MS = 5_000;
/** Default silence after which an internal link is considered dead, in milliseconds. */
export const DEFAULT_LINK_TIMEOUT_MS = 15_000;
/** Default bound on bytes queued for a peer that does not read, in bytes. */
export const DEFAULT_LINK_MAX_BUFFERED_BYTES = 64 * 1024 * 1024;
/** Smallest `maxFrameBytes` accepted, in bytes: below it the handshake's own frames would not fit. */
export const MIN_LINK_MAX_FRAME_BYTES = HANDSHAKE_MAX_FRAME_BYTES;

export interface LinkOptions {
  /** Ping every this many ms; 0 disables pings and the timeout. Default DEFAULT_LINK_PING_INTERVAL_MS. */
  pingIntervalMs?: number | undefined;
  /**
   * Destroy the link after this many ms without any byte from the peer (monotonic clock; checked
   * every min(pingIntervalMs, 1 s), and only after reading what is waiting in the socket).
   * Default DEFAULT_LINK_TIMEOUT_MS.
   */
  timeoutMs?: number | undefined;
  /** Largest frame accepted from the peer, in bytes. Default DEFAULT_MAX_FRAME_BYTES (16 MiB). */
  maxFrameBytes?: number | undefined;
  /** Destroy the link when more than this many bytes wait to be written. Default DEFAULT_LINK_MAX_BUFFERED_BYTES. */
  maxBufferedBytes?: number | undefined;
  /** Time to connect and authenticate, in milliseconds. Default DEFAULT_HANDSHAKE_TIMEOUT_MS. */
  handshakeTimeoutMs?: number | undefined;
}

/** LinkOptions with every default applied. */
export interface ResolvedLinkOptions {
  readonly pingIntervalMs: number;
  readonly timeoutMs: number;
  readonly maxFrameBytes: number;
  readonly maxBufferedBytes: number;
  readonly handshakeTimeoutMs: number;
}

/** What resolveLinkOptions({}) returns. */
export const DEFAULT_LINK_OPTIONS: ResolvedLinkOptions = Object.freeze({
  pingIntervalMs: DEFAULT_LINK_PING_INTERVAL_MS,
  timeoutMs: DEFAULT_LINK_TIMEOUT_MS,
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  maxBufferedBytes: DEFAULT_LINK_MAX_BUFFERED_BYTES,
  handshakeTimeoutMs: DEFAULT_HANDSHAKE_TIMEOUT_MS,
});

/** Builds the caller's own error for a bad option; `key` is dotted from the options root (`link.timeoutMs`). */
export type InvalidOptionError = (key: string, problem: string) => Error;

const protocolInvalid: InvalidOptionError = (key, problem) => new ProtocolError(ErrorCode.InvalidOptions, `invalid option ${key}: ${problem}`);

function ms(key: string, value: number | undefined, fallback: number, min: 0 | 1, invalid: InvalidOptionError): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw invalid(key, `must be a ${min === 0 ? 'non-negative' : 'positive'} number of milliseconds, got ${String(value)}`);
  }
  return value;
}

function bytes(key: string, value: number | undefined, fallback: number, min: number, invalid: InvalidOptionError): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw invalid(key, `must be a whole number of bytes, at least ${min}, got ${String(value)}`);
  }
  return value;
}

/**
 * Defaults and validates link options once. Throws `invalid('link.<key>', problem)` (by default a
 * ProtocolError with code GW_ERR_INVALID_OPTIONS) for the first bad value.
 */
export function resolveLinkOptions(options: LinkOptions | undefined, invalid: InvalidOptionError = protocolInvalid): ResolvedLinkOptions {
  if (options === undefined) return DEFAULT_LINK_OPTIONS;
  if (typeof options !== 'object' || options === null) throw invalid('link', 'must be an object');
  return {
    pingIntervalMs: ms('link.pingIntervalMs', options.pingIntervalMs, DEFAULT_LINK_PING_INTERVAL_MS, 0, invalid),
    timeoutMs: ms('link.timeoutMs', options.timeoutMs, DEFAULT_LINK_TIMEOUT_MS, 1, invalid),
    maxFrameBytes: bytes('link.maxFrameBytes', options.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES, MIN_LINK_MAX_FRAME_BYTES, invalid),
    maxBufferedBytes: bytes('link.maxBufferedBytes', options.maxBufferedBytes, DEFAULT_LINK_MAX_BUFFERED_BYTES, 1, invalid),
    handshakeTimeoutMs: ms('link.handshakeTimeoutMs', options.handshakeTimeoutMs, DEFAULT_HANDSHAKE_TIMEOUT_MS, 1, invalid),
  };
}
