import type { Logger } from 'pino';

/**
 * SIGTERM/SIGINT: the first one starts a graceful stop; a second one forces exit (code 1).
 * SIGHUP goes to `onHup` when given (the supervisor reloads on it), else is treated like SIGTERM.
 */
export function installSignals(logger: Logger, onStop: (signal: string) => void, onHup?: () => void, options: { ignoreSigint?: boolean } = {}): void {
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
  process.on('SIGINT', options.ignoreSigint === true ? () => {} : handler);
  process.on('SIGHUP', onHup === undefined ? handler : () => onHup());
}
