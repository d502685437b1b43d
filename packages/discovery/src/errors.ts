/**
 * Errors of @gateworker/discovery. Every error has a stable `code` (match on it, never on the
 * message text) and passes its `cause` through.
 */

export const DiscoveryErrorCode = {
  InvalidOptions: 'GW_ERR_INVALID_OPTIONS',
  /** The backend's client library is not installed (the ZooKeeper client is an optional dependency). */
  BackendMissing: 'GW_ERR_DISCOVERY_BACKEND_MISSING',
  /** No answer from the backend within the wait. */
  Unavailable: 'GW_ERR_DISCOVERY_UNAVAILABLE',
  /** A record on the backend is not a gateway record (skipped, logged). */
  BadRecord: 'GW_ERR_DISCOVERY_BAD_RECORD',
  Closed: 'GW_ERR_CLOSED',
} as const;
export type DiscoveryErrorCode = (typeof DiscoveryErrorCode)[keyof typeof DiscoveryErrorCode];

export class DiscoveryError extends Error {
  override name = 'DiscoveryError';
  readonly code: DiscoveryErrorCode;

  constructor(code: DiscoveryErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }

  static invalidOptions(key: string, problem: string): DiscoveryError {
    return new DiscoveryError(DiscoveryErrorCode.InvalidOptions, `discovery option ${key}: ${problem}`);
  }

  static unavailable(what: string, timeoutMs: number, cause?: unknown): DiscoveryError {
    return new DiscoveryError(DiscoveryErrorCode.Unavailable, `${what}: no gateway list within ${timeoutMs} ms`, { cause });
  }

  static badRecord(key: string, problem: string): DiscoveryError {
    return new DiscoveryError(DiscoveryErrorCode.BadRecord, `discovery record ${key}: ${problem}`);
  }

  static closed(what: string): DiscoveryError {
    return new DiscoveryError(DiscoveryErrorCode.Closed, `${what} is closed`);
  }
}
