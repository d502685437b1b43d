import { ConfigError } from './errors.js';

/**
 * Env (`GATEWORKER_*`) and CLI-flag overrides. Every leaf key of the config can be set from the
 * environment: its dotted path in SCREAMING_SNAKE_CASE (`gateway.pendingEvents.max` →
 * `GATEWORKER_GATEWAY_PENDING_EVENTS_MAX`). Lists take comma-separated values.
 */

type Kind = 'string' | 'int' | 'list' | 'listeners';

/** Every key settable from env or flags, with how its text is read. */
export const OVERRIDABLE_KEYS: Readonly<Record<string, Kind>> = {
  secret: 'string',
  secretFile: 'string',
  nodeId: 'string',
  logLevel: 'string',
  cluster: 'string',
  'links.heartbeat.interval': 'string',
  'links.heartbeat.timeout': 'string',
  'register.listen': 'string',
  'register.preAuth.max': 'int',
  'register.preAuth.maxPerAddress': 'int',
  'gateway.processes': 'int',
  'gateway.listen': 'listeners',
  'gateway.internal': 'string',
  'gateway.advertise': 'string',
  'gateway.registers': 'list',
  'gateway.heartbeat.interval': 'string',
  'gateway.heartbeat.timeout': 'string',
  'gateway.routing': 'string',
  'gateway.pendingEvents.max': 'int',
  'gateway.pendingEvents.policy': 'string',
  'gateway.pendingEvents.maxBytes': 'string',
  'gateway.linkWindow.events': 'int',
  'gateway.linkWindow.bytes': 'string',
  'gateway.sendBuffer.max': 'string',
  'gateway.sendBuffer.policy': 'string',
  'gateway.preAuth.max': 'int',
  'gateway.preAuth.maxPerAddress': 'int',
  'worker.processes': 'int',
  'worker.handler': 'string',
  'worker.registers': 'list',
  'worker.queryTimeout': 'string',
  'worker.drainTimeout': 'string',
  'worker.commandBuffer.maxBytes': 'string',
  'worker.commandBuffer.maxAge': 'string',
  'worker.maxDeliveries': 'int',
  'worker.poisonPolicy': 'string',
  'admin.listen': 'string',
  'admin.token': 'string',
  'config.etcd.endpoints': 'list',
  'config.etcd.key': 'string',
  'config.etcd.username': 'string',
  'config.etcd.password': 'string',
  'config.zookeeper.servers': 'string',
  'config.zookeeper.path': 'string',
  'bus.redis.url': 'string',
  'bus.redis.channel': 'string',
  'bus.amqp.url': 'string',
  'bus.amqp.exchange': 'string',
  'bus.amqp.mode': 'string',
  'bus.maxMessageSize': 'string',
};

/** Env variables with our prefix that are not config keys (process plumbing). */
const RESERVED_ENV = new Set(['GATEWORKER_RUN_DIR', 'GATEWORKER_CHILD', 'GATEWORKER_CONFIG']);

export function envNameOf(key: string): string {
  return 'GATEWORKER_' + key.replace(/\./g, '_').replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
}

export interface Override {
  key: string;
  value: unknown;
  /** Where it came from, for error messages: `env GATEWORKER_X` or `flag --x`. */
  source: string;
}

export function parseOverrideValue(key: string, text: string, source: string): unknown {
  const kind = OVERRIDABLE_KEYS[key];
  if (kind === undefined) throw new ConfigError(key, `${source}: unknown config key "${key}"`);
  const list = () => text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  switch (kind) {
    case 'string':
      return text;
    case 'int': {
      const n = Number(text);
      if (!Number.isInteger(n)) throw new ConfigError(key, `${source}: ${key}: "${text}" is not an integer`);
      return n;
    }
    case 'list':
      return list();
    case 'listeners':
      return list().map((url) => ({ url }));
  }
}

export function envOverrides(env: NodeJS.ProcessEnv): Override[] {
  const byName = new Map(Object.keys(OVERRIDABLE_KEYS).map((k) => [envNameOf(k), k]));
  const out: Override[] = [];
  for (const [name, text] of Object.entries(env)) {
    if (!name.startsWith('GATEWORKER_') || RESERVED_ENV.has(name) || text === undefined) continue;
    const key = byName.get(name);
    if (key === undefined) throw new ConfigError(name, `env ${name}: not a gateworker setting (known: ${[...byName.keys()].join(', ')})`);
    out.push({ key, value: parseOverrideValue(key, text, `env ${name}`), source: `env ${name}` });
  }
  return out;
}

/** Sets `value` at a dotted path, creating objects on the way. */
export function setPath(tree: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let node = tree;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1] as string] = value;
}
