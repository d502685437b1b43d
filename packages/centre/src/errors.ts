/** Errors of @gateworker/centre. Match on `code`, never on message text. */

export const CentreErrorCode = {
  /** The centre could not be reached or refused a read or write; the message names the centre. */
  Unavailable: 'GW_ERR_CENTRE_UNAVAILABLE',
} as const;
export type CentreErrorCode = (typeof CentreErrorCode)[keyof typeof CentreErrorCode];

export class CentreError extends Error {
  override readonly name = 'CentreError';
  readonly code: CentreErrorCode = CentreErrorCode.Unavailable;

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
}
