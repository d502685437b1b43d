import { z } from 'zod';
import {
  AMQP_MODES,
  DEFAULT_AMQP_EXCHANGE,
  DEFAULT_MAX_MESSAGE_BYTES as DEFAULT_BUS_MAX_MESSAGE_BYTES,
  DEFAULT_REDIS_CHANNEL,
} from '@gateworker/bus';
import { DEFAULT_ETCD_PREFIX, DEFAULT_ETCD_TTL_MS, DEFAULT_ZOOKEEPER_PATH, DEFAULT_ZOOKEEPER_SESSION_TIMEOUT_MS } from '@gateworker/discovery';
import {
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_HEARTBEAT_TIMEOUT_MS,
  DEFAULT_LINK_WINDOW_BYTES,
  DEFAULT_LINK_WINDOW_EVENTS,
  DEFAULT_MAX_DELIVERIES,
  DEFAULT_PENDING_EVENTS_MAX,
  DEFAULT_PENDING_EVENTS_MAX_BYTES,
  DEFAULT_SEND_BUFFER_MAX_BYTES,
  MAX_DELIVERIES_LIMIT,
  PENDING_EVENTS_POLICIES,
  POISON_POLICIES,
  ROUTING_POLICIES,
  SEND_BUFFER_POLICIES,
  TCP_FRAMINGS,
} from '@gateworker/gateway';
import {
  CLUSTER_NAME_PATTERN,
  isLoopbackHost,
  isUnspecifiedHost,
  MAX_NODE_ID_LENGTH,
  MAX_WORKER_ID_LENGTH,
  parseAddress,
} from '@gateworker/protocol';
import {
  DEFAULT_LINK_PING_INTERVAL_MS,
  DEFAULT_LINK_TIMEOUT_MS,
  DEFAULT_MAX_PREAUTH_CONNECTIONS,
  DEFAULT_MAX_PREAUTH_PER_ADDRESS,
} from '@gateworker/protocol/node';
import {
  DEFAULT_COMMAND_BUFFER_MAX_AGE_MS,
  DEFAULT_COMMAND_BUFFER_MAX_BYTES,
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_QUERY_TIMEOUT_MS,
} from '@gateworker/worker';
import { parseDurationMs, parseSizeBytes } from './units.js';

/**
 * The configuration file's schema (and that of env and flag overrides, which are merged into the
 * same tree first). Unknown keys are errors. Durations and sizes accept units. Defaults, limits
 * and allowed values are the packages' own (imported), so the CLI and the API cannot drift apart;
 * only what the packages do not take (addresses the CLI binds by default, process counts) is set here.
 */

/** Where a register listens, a gateway's internal port and the admin port bind when the config names none. */
export const DEFAULT_REGISTER_LISTEN = '127.0.0.1:1236';
export const DEFAULT_GATEWAY_INTERNAL = '127.0.0.1:2900';
export const DEFAULT_ADMIN_LISTEN = '127.0.0.1:9464';
/**
 * Longest `nodeId`, in characters (200): within the protocol's MAX_NODE_ID_LENGTH, with room for
 * what worker ids add to it (`<nodeId>/w<index>/<pid>`, at most 13 characters more; the rest is
 * the margin this key always had), so every id the CLI derives fits MAX_WORKER_ID_LENGTH.
 */
export const MAX_CONFIG_NODE_ID_LENGTH = Math.min(MAX_NODE_ID_LENGTH, MAX_WORKER_ID_LENGTH) - 56;

export const duration = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const ms = parseDurationMs(v);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration (e.g. 500ms, 25s, 2m)` });
    return z.NEVER;
  }
  return ms;
});

export const size = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const bytes = parseSizeBytes(v);
  if (bytes === null || bytes < 1) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a size (e.g. 65536, 64KiB, 1MiB)` });
    return z.NEVER;
  }
  return bytes;
});

/** An internal address: `host:port` or `[ipv6]:port`, checked by the one parser (@gateworker/protocol parseAddress). */
export const hostPort = z.string().superRefine((v, ctx) => {
  try {
    parseAddress(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

/** An address where the port is implied (advertise): also `host`, `[ipv6]` and a bare ipv6. */
export const hostMaybePort = z.string().superRefine((v, ctx) => {
  try {
    const { host } = parseAddress(v, { defaultPort: 0 });
    if (isUnspecifiedHost(host)) ctx.addIssue({ code: 'custom', message: `"${v}" is a wildcard address: announce one other machines can dial` });
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

/** Heartbeat of the internal links (register, gateway and worker links): ping period and dead-link silence. */
const linkHeartbeat = z
  .object({ interval: duration.default(DEFAULT_LINK_PING_INTERVAL_MS), timeout: duration.default(DEFAULT_LINK_TIMEOUT_MS) })
  .strict()
  .prefault({})
  .superRefine((h, ctx) => {
    if (h.interval < 1) ctx.addIssue({ code: 'custom', path: ['interval'], message: 'must be at least 1ms' });
    if (h.timeout <= h.interval)
      ctx.addIssue({ code: 'custom', path: ['timeout'], message: `must be longer than links.heartbeat.interval (${h.interval} ms)` });
  });

const positiveInt = z.number().int().positive();

export const listenerSchema = z
  .object({
    url: z
      .string()
      .regex(
        /^(ws|wss|tcp):\/\/(\[[0-9a-fA-F:.]+\]|[^:/\s]+):\d{1,5}(\/\S*)?$/,
        'expected ws://host:port/path, wss://host:port/path or tcp://host:port',
      ),
    framing: z.enum(TCP_FRAMINGS).optional(),
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

/** Connections still in the handshake that a register or a gateway's internal port accepts (0 = no limit). */
const preAuthSchema = z
  .object({
    max: z.number().int().nonnegative().default(DEFAULT_MAX_PREAUTH_CONNECTIONS),
    maxPerAddress: z.number().int().nonnegative().default(DEFAULT_MAX_PREAUTH_PER_ADDRESS),
  })
  .strict()
  .prefault({});

// ---- bus (issue 15): Redis pub/sub and AMQP bridges into every gateway process ----
export const busSchema = z
  .object({
    redis: z
      .object({
        url: z.string().regex(/^rediss?:\/\/\S+$/, 'expected redis://[user:password@]host:port[/db] or rediss://…'),
        channel: z.string().min(1).default(DEFAULT_REDIS_CHANNEL),
      })
      .strict()
      .optional(),
    amqp: z
      .object({
        url: z.string().regex(/^amqps?:\/\/\S+$/, 'expected amqp://user:password@host:port[/vhost] or amqps://…'),
        exchange: z.string().min(1).max(255).default(DEFAULT_AMQP_EXCHANGE),
        mode: z.enum(AMQP_MODES).default(AMQP_MODES[0]),
      })
      .strict()
      .optional(),
    /** Largest bus message accepted (the JSON text); larger ones are ignored and counted. */
    maxMessageSize: size.default(DEFAULT_BUS_MAX_MESSAGE_BYTES),
  })
  .strict()
  .refine((b) => b.redis !== undefined || b.amqp !== undefined, { message: 'names no bridge: add redis or amqp' });
// ---- end bus ----

/** How to reach etcd: shared by the config centre and discovery. */
const etcdConnection = {
  endpoints: z
    .array(z.string().regex(/^https?:\/\/(\[[0-9a-fA-F:.]+\]|[^:/\s]+):\d{1,5}\/?$/, 'expected http://host:port or https://host:port'))
    .min(1),
  username: z.string().min(1).optional(),
  password: z.string().optional(),
  tls: z.object({ ca: z.string().optional(), cert: z.string().optional(), key: z.string().optional() }).strict().optional(),
};
/** How to reach ZooKeeper: shared by the config centre and discovery. */
const zookeeperServers = z.string().regex(/^[^,\s]+:\d{1,5}(,[^,\s]+:\d{1,5})*$/, 'expected host:port[,host:port...]');
/** An absolute etcd key or ZooKeeper node path. */
const absolutePath = (what: string) => z.string().regex(/^\/(?:[^/\s]+(?:\/[^/\s]+)*)?$/, `expected an absolute ${what} like /gateworker`);

/** Where the config centre keeps its one YAML document (at most one backend). */
export const centreSchema = z
  .object({
    etcd: z
      .object({ ...etcdConnection, key: absolutePath('key') })
      .strict()
      .optional(),
    zookeeper: z
      .object({ servers: zookeeperServers, path: absolutePath('node path') })
      .strict()
      .optional(),
    /** Watch the local config file too (default: true when a centre is set). */
    watch: z.boolean().optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.etcd !== undefined && c.zookeeper !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['zookeeper'], message: 'at most one config centre: etcd or zookeeper' });
    }
  });

/** `discovery:` — etcd or ZooKeeper instead of the built-in register (at most one backend). */
export const discoverySchema = z
  .object({
    etcd: z
      .object({ ...etcdConnection, prefix: absolutePath('key prefix').default(DEFAULT_ETCD_PREFIX), ttl: duration.default(DEFAULT_ETCD_TTL_MS) })
      .strict()
      .optional(),
    zookeeper: z
      .object({
        servers: zookeeperServers,
        path: absolutePath('path').default(DEFAULT_ZOOKEEPER_PATH),
        sessionTimeout: duration.default(DEFAULT_ZOOKEEPER_SESSION_TIMEOUT_MS),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    if ((d.etcd === undefined) === (d.zookeeper === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'name exactly one backend: etcd or zookeeper' });
    }
    if (d.etcd !== undefined && (d.etcd.username === undefined) !== (d.etcd.password === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['etcd', d.etcd.username === undefined ? 'username' : 'password'],
        message: 'username and password go together',
      });
    }
    if (d.etcd !== undefined && d.etcd.ttl < 1_000)
      ctx.addIssue({ code: 'custom', path: ['etcd', 'ttl'], message: 'at least 1s (etcd leases count whole seconds)' });
  });

export const configSchema = z
  .object({
    secret: z.string().default(''),
    secretFile: z.string().min(1).optional(),
    discovery: discoverySchema.optional(),
    nodeId: z.string().min(1).max(MAX_CONFIG_NODE_ID_LENGTH).optional(),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    cluster: z.string().regex(CLUSTER_NAME_PATTERN, 'expected 1-64 letters, digits, ".", "_" or "-"').optional(),
    links: z.object({ heartbeat: linkHeartbeat }).strict().prefault({}),
    config: centreSchema.optional(),
    /** Free-form settings for handlers (`worker.config`). */
    app: z.record(z.string(), z.unknown()).default({}),
    register: z
      .object({ listen: hostPort.default(DEFAULT_REGISTER_LISTEN), preAuth: preAuthSchema })
      .strict()
      .optional(),
    gateway: z
      .object({
        processes: positiveInt.max(64).default(1),
        listen: z.array(listenerSchema).min(1),
        internal: hostPort.default(DEFAULT_GATEWAY_INTERNAL),
        advertise: hostMaybePort.optional(),
        registers: z.array(hostPort).min(1).optional(),
        heartbeat: z
          .object({ interval: duration.default(DEFAULT_HEARTBEAT_INTERVAL_MS), timeout: duration.default(DEFAULT_HEARTBEAT_TIMEOUT_MS) })
          .strict()
          .prefault({}),
        routing: z.enum(ROUTING_POLICIES).default(ROUTING_POLICIES[0]),
        pendingEvents: z
          .object({
            max: positiveInt.default(DEFAULT_PENDING_EVENTS_MAX),
            maxBytes: size.default(DEFAULT_PENDING_EVENTS_MAX_BYTES),
            policy: z.enum(PENDING_EVENTS_POLICIES).default(PENDING_EVENTS_POLICIES[0]),
          })
          .strict()
          .prefault({}),
        linkWindow: z
          .object({ events: positiveInt.default(DEFAULT_LINK_WINDOW_EVENTS), bytes: size.default(DEFAULT_LINK_WINDOW_BYTES) })
          .strict()
          .prefault({}),
        sendBuffer: z
          .object({ max: size.default(DEFAULT_SEND_BUFFER_MAX_BYTES), policy: z.enum(SEND_BUFFER_POLICIES).default(SEND_BUFFER_POLICIES[0]) })
          .strict()
          .prefault({}),
        preAuth: preAuthSchema,
      })
      .strict()
      .optional(),
    admin: z
      .object({
        listen: hostPort.default(DEFAULT_ADMIN_LISTEN),
        token: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    worker: z
      .object({
        processes: positiveInt.max(256).default(2),
        handler: z.string().min(1),
        registers: z.array(hostPort).min(1).optional(),
        queryTimeout: duration.default(DEFAULT_QUERY_TIMEOUT_MS),
        drainTimeout: duration.default(DEFAULT_DRAIN_TIMEOUT_MS),
        commandBuffer: z
          .object({ maxBytes: size.default(DEFAULT_COMMAND_BUFFER_MAX_BYTES), maxAge: duration.default(DEFAULT_COMMAND_BUFFER_MAX_AGE_MS) })
          .strict()
          .prefault({}),
        maxDeliveries: positiveInt.max(MAX_DELIVERIES_LIMIT).default(DEFAULT_MAX_DELIVERIES),
        poisonPolicy: z.enum(POISON_POLICIES).default(POISON_POLICIES[0]),
      })
      .strict()
      .optional(),
    bus: busSchema.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.register === undefined && c.gateway === undefined && c.worker === undefined) {
      ctx.addIssue({ code: 'custom', path: [], message: 'the config names no role: add a register, gateway or worker section' });
    }
    if (c.discovery !== undefined) {
      // Discovery replaces the register: naming both is a mistake worth stopping for.
      if (c.register !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['register'],
          message: 'not used with discovery (etcd / ZooKeeper replace the register): remove one of them',
        });
      if (c.gateway?.registers !== undefined)
        ctx.addIssue({ code: 'custom', path: ['gateway', 'registers'], message: 'not used with discovery: remove it' });
      if (c.worker?.registers !== undefined)
        ctx.addIssue({ code: 'custom', path: ['worker', 'registers'], message: 'not used with discovery: remove it' });
    }
    if (c.gateway !== undefined && c.gateway.registers === undefined && c.register === undefined && c.discovery === undefined) {
      ctx.addIssue({ code: 'custom', path: ['gateway', 'registers'], message: 'required when the config has no register section' });
    }
    if (c.gateway !== undefined && c.gateway.advertise === undefined) {
      const internal = tryParse(c.gateway.internal);
      if (internal !== null && isUnspecifiedHost(internal.host)) {
        ctx.addIssue({
          code: 'custom',
          path: ['gateway', 'advertise'],
          message: `required because gateway.internal (${c.gateway.internal}) binds every interface: set gateway.advertise to the address workers on other machines dial to reach this gateway (e.g. 10.0.0.6 or [fd77::22])`,
        });
      }
    }
    if (c.worker !== undefined && c.worker.registers === undefined && c.register === undefined && c.discovery === undefined) {
      ctx.addIssue({ code: 'custom', path: ['worker', 'registers'], message: 'required when the config has no register section' });
    }
    if (c.admin !== undefined && c.admin.token === undefined) {
      // /metrics and the topology page show client addresses and uids: off loopback they need a token.
      const parsed = tryParse(c.admin.listen);
      if (parsed !== null && !isLoopbackHost(parsed.host)) {
        ctx.addIssue({
          code: 'custom',
          path: ['admin', 'token'],
          message: `required because admin.listen (${c.admin.listen}) is not a loopback address`,
        });
      }
    }
    // The secret's strength is checked after secretFile is read (load.ts, secret.ts).
  });

export type Config = z.output<typeof configSchema>;
export type ListenerConfig = z.output<typeof listenerSchema>;
export type CentreConfig = z.output<typeof centreSchema>;

function tryParse(address: string): { host: string; port: number } | null {
  try {
    return parseAddress(address, { defaultPort: 0 });
  } catch {
    return null;
  }
}

export type BusConfig = z.output<typeof busSchema>;
