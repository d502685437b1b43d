import type { Logger } from 'pino';

/**
 * SIGTERM/SIGINT: the first one starts a graceful stop; a second one forces exit (code 1).
 * SIGHUP goes to `onHup` when given (the supervisor reloads on it), else is treated like SIGTERM.
 */
export function installSignals(logger: Logger, onStop: (signal: string) => void, onHup?: () => void): void {
  let received = 0;
  const handler = (signal: NodeJS.Signals) => {
    received++;
    if (received > 1) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    onStop(signal);
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  process.on('SIGHUP', onHup === undefined ? handler : () => onHup());
}

export interface ChildSignalOptions {
  /** True while the supervisor is there (the IPC channel is connected). */
  supervised(): boolean;
  /** Reports a SIGTERM to the supervisor, which decides what it means. */
  forward(signal: 'SIGTERM'): void;
  /** Graceful stop of this child. */
  onStop(signal: string): void;
}

/**
 * Signals of a child started by `gateworker start`. Signals often reach the whole process group:
 * Ctrl-C (SIGINT), a closing terminal (SIGHUP), and SIGTERM from systemd's default
 * KillMode=control-group, `timeout`, `kill -TERM -- -<pgid>` and many process managers. Stopping
 * every process at once would lose the order that keeps events (gateways first, so workers still
 * get the clients' onClose; then workers drain; then the register), so while the supervisor is
 * there the child leaves the decision to it: SIGINT and SIGHUP are ignored, SIGTERM is reported
 * to the supervisor, which runs the ordered stop when it got the signal too, or else stops (and
 * restarts) just this child. Without a supervisor SIGTERM stops the child; a second SIGTERM exits
 * at once; a supervisor that goes away stops the child too (see child.ts).
 */
export function installChildSignals(logger: Logger, options: ChildSignalOptions): void {
  let terms = 0;
  process.on('SIGINT', () => {});
  process.on('SIGHUP', () => {});
  process.on('SIGTERM', () => {
    terms++;
    if (terms > 1) {
      logger.warn({ signal: 'SIGTERM' }, 'second signal: exiting now');
      process.exit(1);
    }
    if (options.supervised()) options.forward('SIGTERM');
    else options.onStop('SIGTERM');
  });
}
