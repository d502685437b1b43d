/**
 * Errors of @gateworker/discovery. Every error has a stable `code` (match on it, never on the
 * message text) and passes its `cause` through. Codes shared across packages (`GW_ERR_INVALID_OPTIONS`,
 * `GW_ERR_CLOSED`) are defined once in @gateworker/protocol's `ErrorCode`.
 */
import { ErrorCode } from '@gateworker/protocol';

export const DiscoveryErrorCode = {
  /** No answer from the backend within the wait. */
  Unavailable: 'GW_ERR_DISCOVERY_UNAVAILABLE',
  /** A record on the backend is not a gateway record (skipped, logged). */
  BadRecord: 'GW_ERR_DISCOVERY_BAD_RECORD',
} as const;
export type DiscoveryErrorCode =
  (typeof DiscoveryErrorCode)[keyof typeof DiscoveryErrorCode] | typeof ErrorCode.InvalidOptions | typeof ErrorCode.Closed;

export class DiscoveryError extends Error {
  override name = 'DiscoveryError';
  readonly code: DiscoveryErrorCode;

  constructor(code: DiscoveryErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }

  static invalidOptions(key: string, problem: string): DiscoveryError {
    return new DiscoveryError(ErrorCode.InvalidOptions, `discovery option ${key}: ${problem}`);
  }

  static unavailable(what: string, timeoutMs: number, cause?: unknown): DiscoveryError {
    return new DiscoveryError(DiscoveryErrorCode.Unavailable, `${what}: no gateway list within ${timeoutMs} ms`, { cause });
  }

  static badRecord(key: string, problem: string): DiscoveryError {
    return new DiscoveryError(DiscoveryErrorCode.BadRecord, `discovery record ${key}: ${problem}`);
  }

  static closed(what: string): DiscoveryError {
    return new DiscoveryError(ErrorCode.Closed, `${what} is closed`);
  }
}
