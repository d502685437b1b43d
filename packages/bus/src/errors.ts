/**
 * Bus errors. Matched by `code`, never by message text.
 */

export const BusErrorCode = {
  InvalidOptions: 'GW_ERR_BUS_INVALID_OPTIONS',
  AlreadyStarted: 'GW_ERR_BUS_ALREADY_STARTED',
} as const;
export type BusErrorCode = (typeof BusErrorCode)[keyof typeof BusErrorCode];

export class BusError extends Error {
  override readonly name = 'BusError';
  readonly code: BusErrorCode;

  constructor(code: BusErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }

  static invalidOptions(key: string, problem: string): BusError {
    return new BusError(BusErrorCode.InvalidOptions, `invalid bus option ${key}: ${problem}`);
  }
}

export function isBusError(err: unknown): err is BusError {
  return err instanceof BusError;
}
