import { hostname } from 'node:os';
import type { Logger as PinoLogger } from 'pino';
import { Bus } from '@gateworker/bus';
import { Gateway } from '@gateworker/gateway';
import { ErrorCode, formatAddress, parseAddress } from '@gateworker/protocol';
import { RegisterServer } from '@gateworker/register';
import { BusinessWorker, loadHandler } from '@gateworker/worker';
import type { Sample } from '../admin/snapshot.js';
import { busSamples } from '../admin/bus-samples.js';
import type { Config } from '../config/schema.js';
import type { BoundAddresses } from '../supervisor/bound.js';
import type { RoleDiscovery } from './discovery.js';
import { advertiseOf, busOptions, linkTiming, listenerOptions, registersOf } from './options.js';
import { routeConsole } from './console.js';
import { enableTypeScriptFor } from './typescript.js';

/** A running role inside this process. */
export interface RoleHandle {
  /** One line for humans: what is listening where. */
  readonly summary: string;
  /** What it bound (port 0 resolved), reported to the supervisor with `ready`. */
  readonly bound: BoundAddresses;
  /** Graceful stop (drain for a worker). */
  close(): Promise<void>;
  /** The role's object, for snapshots (metrics, status, readiness). */
  readonly parts: RoleParts;
  /** Extra snapshot sources of this process (metrics), by name. */
  readonly sources?: Record<string, () => Sample[]>;
}

export interface RoleParts {
  register?: RegisterServer;
  gateway?: Gateway;
  worker?: BusinessWorker;
}

export function nodeIdOf(config: Config): string {
  return config.nodeId ?? hostname();
}

export async function runRegister(config: Config, logger: PinoLogger): Promise<RoleHandle> {
  if (config.register === undefined) throw new Error('the config has no register section');
  const { preAuth } = config.register;
  const server = new RegisterServer({
    listen: parseAddress(config.register.listen),
    secret: config.secret,
    nodeId: nodeIdOf(config),
    logger,
    link: linkTiming(config),
    ...(config.cluster !== undefined && { cluster: config.cluster }),
    preAuth: { maxConnections: preAuth.max, maxPerAddress: preAuth.maxPerAddress },
  });
  const address = await server.start();
  return {
    summary: `register listening on ${formatAddress(address.host, address.port)}`,
    bound: { register: formatAddress(address.host, address.port) },
    close: () => server.close(),
    parts: { register: server },
  };
}

/** `discovery`: how this process publishes and reads the gateway list when the config has `discovery:` (null: registers). */
export async function runGateway(config: Config, index: number, logger: PinoLogger, discovery: RoleDiscovery | null = null): Promise<RoleHandle> {
  const g = config.gateway;
  if (g === undefined) throw new Error('the config has no gateway section');
  const internal = parseAddress(g.internal);
  const gateway = new Gateway({
    nodeId: nodeIdOf(config),
    processIndex: index,
    secret: config.secret,
    listeners: g.listen.map(listenerOptions),
    internal: { host: internal.host, port: internal.port === 0 ? 0 : internal.port + index },
    ...(g.advertise !== undefined && { advertise: advertiseOf(g.advertise, index) as string }),
    ...(config.cluster !== undefined && { cluster: config.cluster }),
    link: linkTiming(config),
    registers: registersOf(config, 'gateway'),
    heartbeat: { intervalMs: g.heartbeat.interval, timeoutMs: g.heartbeat.timeout },
    routing: g.routing,
    pendingEvents: { max: g.pendingEvents.max, maxBytes: g.pendingEvents.maxBytes, policy: g.pendingEvents.policy },
    linkWindow: { events: g.linkWindow.events, bytes: g.linkWindow.bytes },
    // Gateways count the deliveries (they see workers die): the worker section's keys; without one, the gateway's defaults.
    ...(config.worker !== undefined && { poison: { maxDeliveries: config.worker.maxDeliveries, policy: config.worker.poisonPolicy } }),
    sendBuffer: { maxBytes: g.sendBuffer.max, policy: g.sendBuffer.policy },
    ...(discovery !== null && { announcers: [discovery.announcer()] }),
    preAuth: { maxConnections: g.preAuth.max, maxPerAddress: g.preAuth.maxPerAddress },
    logger,
  });
  await gateway.start();
  // The bus connects in the background: a broker that is down never holds up or stops the gateway.
  const bus = config.bus === undefined ? null : new Bus({ ...busOptions(config.bus), target: gateway, logger });
  if (bus !== null) {
    bus.start();
    gateway.reportBusStats(() => bus.snapshot().bridges);
  }
  const listeners = gateway.listenerAddresses().map((l) => l.url);
  const i = gateway.internalAddress();
  return {
    summary: `gateway ${gateway.gatewayId} serving ${listeners.join(', ')} (internal ${formatAddress(i.host, i.port)})${bus === null ? '' : ' with the bus'}`,
    bound: { listeners, internal: formatAddress(i.host, i.port) },
    close: async () => {
      await bus?.close();
      gateway.reportBusStats(null);
      await gateway.close();
    },
    parts: { gateway },
    ...(bus !== null && { sources: { bus: () => busSamples(bus.snapshot()) } }),
  };
}

/** Errors retrying cannot fix: the process exits non-zero at once, naming them. */
const FATAL_LINK_CODES: ReadonlySet<string> = new Set([
  ErrorCode.AuthFailed,
  ErrorCode.ClusterMismatch,
  ErrorCode.VersionMismatch,
  ErrorCode.RoleRefused,
]);
/** First and largest wait between two worker start attempts while no register answers, in milliseconds. */
const START_RETRY_MIN_MS = 500;
const START_RETRY_MAX_MS = 10_000;
/** While no register answers, at most one warn line per this many milliseconds. */
const START_RETRY_LOG_MS = 30_000;

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/** A register refused us for a reason that retrying cannot fix (wrong secret, other cluster). */
function refusedForGood(err: unknown): boolean {
  const errors = (err as { registerErrors?: ReadonlyMap<string, Error | null> } | null)?.registerErrors;
  if (errors === undefined || errors.size === 0) return false;
  return [...errors.values()].every((e) => e !== null && FATAL_LINK_CODES.has(codeOf(e)));
}

/**
 * A worker process never exits because a peer is gone: while no register answers, start is
 * retried forever (backoff with jitter, one warn line per 30 s); a gateway that cannot be linked
 * yet is retried by the worker itself. Fatal: a refusal retrying cannot fix, a failing onWorkerStart.
 */
export async function runWorker(config: Config, index: number, logger: PinoLogger, discovery: RoleDiscovery | null = null): Promise<RoleHandle> {
  const w = config.worker;
  if (w === undefined) throw new Error('the config has no worker section');
  await enableTypeScriptFor(w.handler);
  const handler = await loadHandler(w.handler);
  let loggedAt = -Infinity;
  for (let attempt = 1; ; attempt++) {
    const worker = newWorker(config, index, handler, logger, discovery);
    // Before start: onWorkerStart's output goes through the logger too (this attempt's worker).
    routeConsole(logger, () => worker.currentClientId());
    try {
      await worker.start();
      if (attempt > 1) logger.info({ attempts: attempt }, 'a register answers again: worker started');
    } catch (err) {
      if (codeOf(err) === 'GW_ERR_READY_TIMEOUT') {
        // Running and reconnecting: the missing gateways are linked as soon as they answer.
        logger.warn({ err: (err as Error).message }, 'worker running without a link to every listed gateway yet; it keeps reconnecting');
      } else if ((codeOf(err) === 'GW_ERR_REGISTER_NOT_READY' && !refusedForGood(err)) || codeOf(err) === 'GW_ERR_DISCOVERY_UNAVAILABLE') {
        worker.destroy();
        const now = performance.now();
        if (now - loggedAt >= START_RETRY_LOG_MS) {
          loggedAt = now;
          logger.warn(
            { attempt, err: (err as Error).message },
            `no ${discovery === null ? 'register answers' : 'gateway list from discovery'} yet (attempt ${attempt}); retrying`,
          );
        }
        const ceiling = Math.min(START_RETRY_MAX_MS, START_RETRY_MIN_MS * 2 ** Math.min(attempt - 1, 10));
        await new Promise((resolve) => setTimeout(resolve, ceiling / 2 + Math.random() * (ceiling / 2)));
        continue;
      } else {
        worker.destroy();
        throw err;
      }
    }
    return { summary: `worker ${index} running ${w.handler}`, bound: {}, close: () => worker.drain(), parts: { worker } };
  }
}

function newWorker(
  config: Config,
  index: number,
  handler: Awaited<ReturnType<typeof loadHandler>>,
  logger: PinoLogger,
  discovery: RoleDiscovery | null,
): BusinessWorker {
  const w = config.worker as NonNullable<Config['worker']>;
  return new BusinessWorker({
    handler,
    registers: registersOf(config, 'worker'),
    ...(discovery !== null && { directory: discovery.directory() }),
    secret: config.secret,
    nodeId: nodeIdOf(config),
    workerId: `${nodeIdOf(config)}/w${index}/${process.pid}`,
    queryTimeoutMs: w.queryTimeout,
    drainTimeoutMs: w.drainTimeout,
    link: linkTiming(config),
    cluster: config.cluster,
    commandBuffer: { maxBytes: w.commandBuffer.maxBytes, maxAgeMs: w.commandBuffer.maxAge },
    config: config.app,
    logger,
  });
}
