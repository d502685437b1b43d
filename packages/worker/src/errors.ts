/**
 * Errors of @gateworker/worker. Every error has a stable `code` (match on it, never on the
 * message text) and passes its `cause` through. Codes shared across packages (`GW_ERR_INVALID_OPTIONS`,
 * `GW_ERR_INVALID_CLIENT_ID`, `GW_ERR_CLOSED`) are defined once in @gateworker/protocol's `ErrorCode`.
 */
import { ErrorCode, type ProtocolError } from '@gateworker/protocol';

export const WorkerErrorCode = {
  QueryTimeout: 'GW_ERR_QUERY_TIMEOUT',
  QueryFailed: 'GW_ERR_QUERY_FAILED',
  HandlerLoad: 'GW_ERR_HANDLER_LOAD',
  WorkerStart: 'GW_ERR_WORKER_START',
  ReadyTimeout: 'GW_ERR_READY_TIMEOUT',
} as const;
export type WorkerErrorCode =
  | (typeof WorkerErrorCode)[keyof typeof WorkerErrorCode]
  | typeof ErrorCode.InvalidOptions
  | typeof ErrorCode.InvalidClientId
  | typeof ErrorCode.Closed;

export class WorkerError extends Error {
  override name = 'WorkerError';
  readonly code: WorkerErrorCode;

  constructor(code: WorkerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** Options that cannot work; the message names the option. */
export class InvalidOptionsError extends WorkerError {
  override name = 'InvalidOptionsError';
  constructor(message: string) {
    super(ErrorCode.InvalidOptions, message);
  }
}

/** A string that is not a gateworker client id was given where one is needed. */
export class InvalidClientIdError extends WorkerError {
  override name = 'InvalidClientIdError';
  readonly clientId: string;
  constructor(clientId: unknown) {
    super(ErrorCode.InvalidClientId, `not a client id: ${JSON.stringify(clientId) ?? String(clientId)}`);
    this.clientId = String(clientId);
  }
}

/** A gateway as named in errors: `<gatewayId>@<address>`. */
export function gatewayLabel(gatewayId: string, address: string): string {
  return `${gatewayId}@${address}`;
}

/** Some gateways did not answer a query in time (or were not connected). */
export class QueryTimeoutError extends WorkerError {
  override name = 'QueryTimeoutError';
  /** The gateways that did not answer, as `<gatewayId>@<address>`. */
  readonly missing: string[];
  constructor(query: string, missing: string[], timeoutMs: number) {
    super(
      WorkerErrorCode.QueryTimeout,
      `${query}: no answer within ${timeoutMs} ms from ${missing.length === 1 ? 'gateway' : 'gateways'} ${missing.join(', ')}`,
    );
    this.missing = missing;
  }
}

/**
 * A gateway answered a query with an error (or with an answer that does not fit the query).
 * `gatewayCode` is the catalogued code of the gateway's error, mapped from its wire code
 * (e.g. `GW_ERR_INVALID_QUERY`; `GW_ERR_PEER` for a code this worker does not know), and `cause`
 * the ProtocolError carrying it; both are null / absent for a malformed answer.
 */
export class QueryFailedError extends WorkerError {
  override name = 'QueryFailedError';
  readonly gateway: string;
  readonly gatewayCode: ErrorCode | null;
  constructor(query: string, gateway: string, reason: string, gatewayError?: ProtocolError) {
    super(WorkerErrorCode.QueryFailed, `${query}: gateway ${gateway} answered with an error: ${reason}`, gatewayError && { cause: gatewayError });
    this.gateway = gateway;
    this.gatewayCode = gatewayError?.code ?? null;
  }
}

/** The handler module could not be loaded or has the wrong shape. */
export class HandlerLoadError extends WorkerError {
  override name = 'HandlerLoadError';
  readonly file: string;
  constructor(file: string, reason: string, cause?: unknown) {
    super(WorkerErrorCode.HandlerLoad, `cannot load handler ${file}: ${reason}`, cause === undefined ? undefined : { cause });
    this.file = file;
  }
}

/** The worker was closed (or is closing) while an operation waited. */
export class ClosedError extends WorkerError {
  override name = 'ClosedError';
  constructor(what: string) {
    super(ErrorCode.Closed, `${what} is closed`);
  }
}

/** Not every listed gateway had a usable link in time. */
export class ReadyTimeoutError extends WorkerError {
  override name = 'ReadyTimeoutError';
  /** The gateways without a usable link, as `<gatewayId>@<address>`. */
  readonly missing: string[];
  constructor(what: string, missing: string[], timeoutMs: number) {
    super(WorkerErrorCode.ReadyTimeout, `${what} not ready after ${timeoutMs} ms: no link to ${missing.join(', ') || '(register not answering)'}`);
    this.missing = missing;
  }
}
