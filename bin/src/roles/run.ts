import { hostname } from 'node:os';
import type { Logger as PinoLogger } from 'pino';
import { Gateway } from '@gateworker/gateway';
import { RegisterServer } from '@gateworker/register';
import { BusinessWorker, loadHandler } from '@gateworker/worker';
import type { Config } from '../config/schema.js';
import type { RoleDiscovery } from './discovery.js';
import { listenerOptions, registersOf, splitHostPort } from './options.js';
import { enableTypeScriptFor } from './typescript.js';

/** A running role inside this process. */
export interface RoleHandle {
  /** One line for humans: what is listening where. */
  readonly summary: string;
  /** Graceful stop (drain for a worker). */
  close(): Promise<void>;
  /** The role's object, for snapshots (metrics, status, readiness). */
  readonly parts: RoleParts;
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
  const server = new RegisterServer({ listen: splitHostPort(config.register.listen), secret: config.secret, nodeId: nodeIdOf(config), logger });
  const address = await server.start();
  return { summary: `register listening on ${address.host}:${address.port}`, close: () => server.close(), parts: { register: server } };
}

/** `discovery`: how this process publishes and reads the gateway list when the config has `discovery:` (null: registers). */
export async function runGateway(config: Config, index: number, logger: PinoLogger, discovery: RoleDiscovery | null = null): Promise<RoleHandle> {
  const g = config.gateway;
  if (g === undefined) throw new Error('the config has no gateway section');
  const internal = splitHostPort(g.internal);
  const gateway = new Gateway({
    nodeId: nodeIdOf(config),
    processIndex: index,
    secret: config.secret,
    listeners: g.listen.map(listenerOptions),
    internal: { host: internal.host, port: internal.port === 0 ? 0 : internal.port + index },
    ...(g.advertise !== undefined && { advertise: g.advertise }),
    registers: registersOf(config, 'gateway'),
    heartbeat: { intervalMs: g.heartbeat.interval, timeoutMs: g.heartbeat.timeout },
    routing: g.routing,
    pendingEvents: { max: g.pendingEvents.max, policy: g.pendingEvents.policy },
    sendBuffer: { maxBytes: g.sendBuffer.max, policy: g.sendBuffer.policy },
    ...(discovery !== null && { announcers: [discovery.announcer()] }),
    logger,
  });
  await gateway.start();
  const listening = gateway.listenerAddresses().map((l) => l.url).join(', ');
  const i = gateway.internalAddress();
  return { summary: `gateway ${gateway.gatewayId} serving ${listening} (internal ${i.host}:${i.port})`, close: () => gateway.close(), parts: { gateway } };
}

export async function runWorker(config: Config, index: number, logger: PinoLogger, discovery: RoleDiscovery | null = null): Promise<RoleHandle> {
  const w = config.worker;
  if (w === undefined) throw new Error('the config has no worker section');
  await enableTypeScriptFor(w.handler);
  const handler = await loadHandler(w.handler);
  const worker = new BusinessWorker({
    handler,
    registers: registersOf(config, 'worker'),
    ...(discovery !== null && { directory: discovery.directory() }),
    secret: config.secret,
    nodeId: nodeIdOf(config),
    workerId: `${nodeIdOf(config)}/w${index}/${process.pid}`,
    queryTimeoutMs: w.queryTimeout,
    drainTimeoutMs: w.drainTimeout,
    logger,
  });
  await worker.start();
  return { summary: `worker ${index} running ${w.handler}`, close: () => worker.drain(), parts: { worker } };
}
