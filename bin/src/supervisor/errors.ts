/**
 * Errors of the supervisor's control channel. The CLI prints `message` and exits 1; `code` is
 * stable for scripts and tests.
 */
export type ControlErrorCode =
  /** The run directory (or a directory above it) could be changed by another user. */
  | 'GW_ERR_RUN_DIR_UNSAFE'
  /** Nothing is running for this config. */
  | 'GW_ERR_CONTROL_NOT_RUNNING'
  /** Another `gateworker start` already serves this run directory. */
  | 'GW_ERR_CONTROL_BUSY'
  /** The answer did not prove knowledge of the token: a fake or foreign socket. */
  | 'GW_ERR_CONTROL_FORGED'
  /** The supervisor refused the request (bad proof or unknown command). */
  | 'GW_ERR_CONTROL_REFUSED'
  /** No complete answer in time, or a malformed one. */
  | 'GW_ERR_CONTROL_TIMEOUT'
  | 'GW_ERR_CONTROL_PROTOCOL';

export class ControlError extends Error {
  override readonly name = 'ControlError';

  constructor(
    readonly code: ControlErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
