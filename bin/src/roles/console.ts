import { format } from 'node:util';
import type { Logger as PinoLogger } from 'pino';

/**
 * Sends a worker process's `console.*` output (the handler's) through its logger: one log line
 * per call, JSON or terminal like every other line, `from: "console"`, and the client's id when the
 * call happens during a callback's synchronous part (after an `await` the id is not known; log
 * through `worker.logger` with the id yourself there).
 */
export function routeConsole(logger: PinoLogger, currentClientId: () => string | null): void {
  const to =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (...args: unknown[]) => {
      const clientId = currentClientId();
      logger[level](clientId === null ? { from: 'console' } : { from: 'console', clientId }, format(...args));
    };
  console.log = to('info');
  console.info = to('info');
  console.debug = to('debug');
  console.warn = to('warn');
  console.error = to('error');
}
