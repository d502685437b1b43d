import type { Logger as PinoLogger } from 'pino';
import { coveredBy, LIVE_KEYS } from '../config/live.js';
import type { Config } from '../config/schema.js';
import { setLogLevel } from '../logging.js';
import type { RoleParts } from './run.js';

/**
 * Applies a live configuration change to the role running in this process: the log level
 * everywhere, `app` to a worker (worker.config, then onConfigChange). `changed` lists the keys
 * the config manager applied (dotted); keys another process applies are ignored here.
 */
export function applyToRole(parts: RoleParts, logger: PinoLogger, config: Config, changed: readonly string[]): void {
  if (changed.some((k) => coveredBy(k, LIVE_KEYS.everywhere))) setLogLevel(logger, config.logLevel);
  const app = changed.filter((k) => coveredBy(k, LIVE_KEYS.worker));
  if (parts.worker !== undefined && app.length > 0) void parts.worker.reconfigure(config.app, app);
}
