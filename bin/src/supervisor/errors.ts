/**
 * Errors of the supervisor's control channel. The CLI prints `message` and exits 1; `code` is
 * stable for scripts and tests.
 */
export const ControlErrorCode = {
  /** The run directory (or a directory above it) could be changed by another user. */
  RunDirUnsafe: 'GW_ERR_RUN_DIR_UNSAFE',
  /** Nothing is running for this config. */
  NotRunning: 'GW_ERR_CONTROL_NOT_RUNNING',
  /** Another `gateworker start` already serves this run directory. */
  Busy: 'GW_ERR_CONTROL_BUSY',
  /** The answer did not prove knowledge of the token: a fake or foreign socket. */
  Forged: 'GW_ERR_CONTROL_FORGED',
  /** The supervisor refused the request (bad proof or unknown command). */
  Refused: 'GW_ERR_CONTROL_REFUSED',
  /** No complete answer in time. */
  Timeout: 'GW_ERR_CONTROL_TIMEOUT',
  /** A malformed answer. */
  Protocol: 'GW_ERR_CONTROL_PROTOCOL',
  /** `gateworker status`: neither a supervisor nor a register answered for this config. */
  NoCluster: 'GW_ERR_NO_CLUSTER',
} as const;
export type ControlErrorCode = (typeof ControlErrorCode)[keyof typeof ControlErrorCode];

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
