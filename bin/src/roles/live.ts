import type { Logger as PinoLogger } from 'pino';
import { coveredBy, LIVE_KEYS } from '../config/live.js';
import type { Config } from '../config/schema.js';
import { setLogLevel } from '../logging.js';
import type { GatewayLiveOptions } from '@gateworker/gateway';
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
  if (parts.gateway !== undefined && config.gateway !== undefined && changed.some((k) => coveredBy(k, LIVE_KEYS.gateway))) {
    try {
      parts.gateway.reconfigure(gatewayLive(config.gateway));
    } catch (err) {
      // The config was valid for the schema; a package-level bound refused it. Nothing changed.
      logger.error({ err: (err as Error).message, changed }, 'gateway refused a live config change; it keeps its running settings');
    }
  }
}

/** The live part of a gateway section, complete (a key left out returns to its default). */
export function gatewayLive(g: NonNullable<Config['gateway']>): GatewayLiveOptions {
  return {
    heartbeat: { intervalMs: g.heartbeat.interval, timeoutMs: g.heartbeat.timeout },
    routing: g.routing,
    pendingEvents: { ...g.pendingEvents },
    sendBuffer: { maxBytes: g.sendBuffer.max, policy: g.sendBuffer.policy },
    listeners: g.listen.map((l) => ({
      ...(l.maxConnections !== undefined && { maxConnections: l.maxConnections }),
      ...(l.maxMessageSize !== undefined && { maxMessageBytes: l.maxMessageSize }),
      ...(l.handshakeTimeout !== undefined && { handshakeTimeoutMs: l.handshakeTimeout }),
      ...(l.maxConnectionsPerIp !== undefined && { maxConnectionsPerIp: l.maxConnectionsPerIp }),
    })),
  };
}
