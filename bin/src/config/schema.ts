import { z } from 'zod';
import { parseDurationMs, parseSizeBytes } from './units.js';

/**
 * The configuration file's schema (and that of env and flag overrides, which are merged into the
 * same tree first). Unknown keys are errors. Durations and sizes accept units.
 */

/** Hosts that never leave the machine. */
export const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|\[::1\]|localhost)$/;

export const duration = z
  .union([z.number(), z.string()])
  .transform((v, ctx) => {
    const ms = parseDurationMs(v);
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration (e.g. 500ms, 25s, 2m)` });
      return z.NEVER;
    }
    return ms;
  });

export const size = z
  .union([z.number(), z.string()])
  .transform((v, ctx) => {
    const bytes = parseSizeBytes(v);
    if (bytes === null || bytes < 1) {
      ctx.addIssue({ code: 'custom', message: `"${v}" is not a size (e.g. 65536, 64KiB, 1MiB)` });
      return z.NEVER;
    }
    return bytes;
  });

export const hostPort = z.string().regex(/^(?:\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'expected host:port (IPv6 in brackets)');

const positiveInt = z.number().int().positive();

export const listenerSchema = z
  .object({
    url: z
      .string()
      .regex(/^(ws|wss|tcp):\/\/(\[[0-9a-fA-F:.]+\]|[^:/\s]+):\d{1,5}(\/\S*)?$/, 'expected ws://host:port/path, wss://host:port/path or tcp://host:port'),
    framing: z.enum(['line', 'length', 'raw']).optional(),
    cert: z.string().optional(),
    key: z.string().optional(),
    maxConnections: positiveInt.optional(),
    maxMessageSize: size.optional(),
    handshakeTimeout: duration.optional(),
    maxConnectionsPerIp: z.number().int().nonnegative().optional(),
  })
  .strict()
  .superRefine((l, ctx) => {
    const scheme = l.url.slice(0, l.url.indexOf(':'));
    if (scheme === 'wss' && (l.cert === undefined || l.key === undefined)) {
      ctx.addIssue({ code: 'custom', path: [l.cert === undefined ? 'cert' : 'key'], message: 'a wss:// listener needs cert and key files' });
    }
    if (scheme !== 'tcp' && l.framing !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['framing'], message: 'framing applies to tcp:// listeners only' });
    }
  });

export const configSchema = z
  .object({
    secret: z.string().default(''),
    secretFile: z.string().min(1).optional(),
    nodeId: z.string().min(1).max(200).optional(),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    register: z.object({ listen: hostPort.default('127.0.0.1:1236') }).strict().optional(),
    gateway: z
      .object({
        processes: positiveInt.max(64).default(1),
        listen: z.array(listenerSchema).min(1),
        internal: hostPort.default('127.0.0.1:2900'),
        advertise: z.string().min(1).optional(),
        registers: z.array(hostPort).min(1).optional(),
        heartbeat: z.object({ interval: duration.default(25_000), timeout: duration.default(60_000) }).strict().prefault({}),
        routing: z.enum(['sticky', 'random', 'least-busy']).default('sticky'),
        pendingEvents: z.object({ max: positiveInt.default(10_000), policy: z.enum(['drop', 'close']).default('drop') }).strict().prefault({}),
        sendBuffer: z.object({ max: size.default(1024 * 1024), policy: z.enum(['close', 'drop']).default('close') }).strict().prefault({}),
      })
      .strict()
      .optional(),
    admin: z
      .object({
        listen: hostPort.default('127.0.0.1:9464'),
        token: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    worker: z
      .object({
        processes: positiveInt.max(256).default(2),
        handler: z.string().min(1),
        registers: z.array(hostPort).min(1).optional(),
        queryTimeout: duration.default(5_000),
        drainTimeout: duration.default(30_000),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.register === undefined && c.gateway === undefined && c.worker === undefined) {
      ctx.addIssue({ code: 'custom', path: [], message: 'the config names no role: add a register, gateway or worker section' });
    }
    if (c.gateway !== undefined && c.gateway.registers === undefined && c.register === undefined) {
      ctx.addIssue({ code: 'custom', path: ['gateway', 'registers'], message: 'required when the config has no register section' });
    }
    if (c.worker !== undefined && c.worker.registers === undefined && c.register === undefined) {
      ctx.addIssue({ code: 'custom', path: ['worker', 'registers'], message: 'required when the config has no register section' });
    }
    if (c.admin !== undefined && c.admin.token === undefined) {
      // /metrics and the topology page show client addresses and uids: off loopback they need a token.
      const host = c.admin.listen.slice(0, c.admin.listen.lastIndexOf(':'));
      if (!LOOPBACK.test(host)) {
        ctx.addIssue({ code: 'custom', path: ['admin', 'token'], message: `required because admin.listen (${c.admin.listen}) is not a loopback address` });
      }
    }
    // The secret's strength is checked after secretFile is read (load.ts, secret.ts).
  });

export type Config = z.output<typeof configSchema>;
export type ListenerConfig = z.output<typeof listenerSchema>;
