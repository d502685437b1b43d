/**
 * Errors of @gateworker/register. Match on `code`, never on message text. Errors raised by the
 * protocol layer (handshake, framing) stay `ProtocolError`s from `@gateworker/protocol` and are
 * passed through as `cause` or in `registerErrors`.
 */

export const RegisterErrorCode = {
  /** Options are missing or invalid; the message names the option. */
  InvalidOptions: 'GW_ERR_REGISTER_INVALID_OPTIONS',
  /** A method was called that the client's role does not allow (e.g. updateStats on a worker). */
  WrongRole: 'GW_ERR_REGISTER_WRONG_ROLE',
  /** The register server could not bind its listen address. */
  ListenFailed: 'GW_ERR_REGISTER_LISTEN_FAILED',
  /** `ready()` timed out: no register accepted us (and delivered its gateway list) in time. */
  NotReady: 'GW_ERR_REGISTER_NOT_READY',
  /** `status()`: no register answered the status query. */
  NoAnswer: 'GW_ERR_REGISTER_NO_ANSWER',
  /** The client or server was closed while the call was pending, or before it was made. */
  Closed: 'GW_ERR_REGISTER_CLOSED',
} as const;
export type RegisterErrorCode = (typeof RegisterErrorCode)[keyof typeof RegisterErrorCode];

export interface RegisterErrorOptions {
  cause?: unknown;
  /** For NotReady / NoAnswer: each register address with the last error seen on it (null: none). */
  registerErrors?: ReadonlyMap<string, Error | null>;
}

export class RegisterError extends Error {
  override readonly name = 'RegisterError';
  readonly code: RegisterErrorCode;
  /** Last error per register address, when the error is about reaching registers. Empty otherwise. */
  readonly registerErrors: ReadonlyMap<string, Error | null>;

  constructor(code: RegisterErrorCode, message: string, options: RegisterErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.registerErrors = options.registerErrors ?? new Map();
  }

  static invalidOptions(key: string, what: string): RegisterError {
    return new RegisterError(RegisterErrorCode.InvalidOptions, `invalid option "${key}": ${what}`);
  }
}

export function isRegisterError(err: unknown): err is RegisterError {
  return err instanceof RegisterError;
}

/** "code: message" for an error from the protocol layer or a socket, for logs and summaries. */
export function describeError(err: Error | null): string {
  if (err === null) return 'no error recorded';
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? `${code}: ${err.message}` : err.message;
}

/** "a:1 (GW_ERR_AUTH_FAILED: ...), b:2 (ECONNREFUSED: ...)" */
export function summarizeRegisterErrors(errors: ReadonlyMap<string, Error | null>): string {
  return [...errors].map(([address, err]) => `${address} (${describeError(err)})`).join(', ');
}
