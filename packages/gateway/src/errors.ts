/**
 * Gateway errors. Matched by `code`, never by message text. Codes shared across packages
 * (`GW_ERR_INVALID_OPTIONS`) are defined once in @gateworker/protocol's `ErrorCode`.
 */
import { ErrorCode } from '@gateworker/protocol';

export const GatewayErrorCode = {
  AlreadyStarted: 'GW_ERR_ALREADY_STARTED',
  Closed: 'GW_ERR_GATEWAY_CLOSED',
  ListenFailed: 'GW_ERR_LISTEN_FAILED',
  MessageTooLarge: 'GW_ERR_MESSAGE_TOO_LARGE',
} as const;
export type GatewayErrorCode = (typeof GatewayErrorCode)[keyof typeof GatewayErrorCode] | typeof ErrorCode.InvalidOptions;

export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  readonly code: GatewayErrorCode;

  constructor(code: GatewayErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }

  static invalidOptions(key: string, problem: string): GatewayError {
    return new GatewayError(ErrorCode.InvalidOptions, `invalid gateway option ${key}: ${problem}`);
  }
}

export function isGatewayError(err: unknown): err is GatewayError {
  return err instanceof GatewayError;
}
