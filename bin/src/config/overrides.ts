import { ConfigError } from './errors.js';

/**
 * Env (`GATEWORKER_*`) and CLI-flag overrides. Every leaf key of the config can be set from the
 * environment: its dotted path in SCREAMING_SNAKE_CASE (`gateway.pendingEvents.max` →
 * `GATEWORKER_GATEWAY_PENDING_EVENTS_MAX`). Lists take comma-separated values. A listener's
 * sub-keys are addressed by index: `gateway.listen[0].framing` (`--set`) is
 * `GATEWORKER_GATEWAY_LISTEN_0_FRAMING` (env). Setting `gateway.listen` replaces the URLs and keeps
 * each listener's other keys (framing, limits, cert) by position.
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
  'discovery.etcd.endpoints': 'list',
  'discovery.etcd.prefix': 'string',
  'discovery.etcd.ttl': 'string',
  'discovery.etcd.username': 'string',
  'discovery.etcd.password': 'string',
  'discovery.etcd.tls.ca': 'string',
  'discovery.etcd.tls.cert': 'string',
  'discovery.etcd.tls.key': 'string',
  'discovery.zookeeper.servers': 'string',
  'discovery.zookeeper.path': 'string',
  'discovery.zookeeper.sessionTimeout': 'string',
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

/** A listener's keys settable by index, `gateway.listen[<i>].<key>`, with how their text is read. */
export const LISTENER_KEYS: Readonly<Record<string, Kind>> = {
  url: 'string',
  framing: 'string',
  cert: 'string',
  key: 'string',
  maxConnections: 'int',
  maxMessageSize: 'string',
  handshakeTimeout: 'string',
  maxConnectionsPerIp: 'int',
};

const LISTENER_KEY = /^gateway\.listen\[(\d+)\]\.([A-Za-z]+)$/;
const LISTENER_ENV = /^GATEWORKER_GATEWAY_LISTEN_(\d+)_([A-Z_]+)$/;

/** How a key's text is read, or undefined for a key that cannot be overridden. */
export function kindOf(key: string): Kind | undefined {
  const m = LISTENER_KEY.exec(key);
  if (m !== null) return LISTENER_KEYS[m[2] as string];
  return OVERRIDABLE_KEYS[key];
}

/** Every key pattern, for error messages. */
export function overridableKeyList(): string {
  return [...Object.keys(OVERRIDABLE_KEYS), ...Object.keys(LISTENER_KEYS).map((k) => `gateway.listen[<i>].${k}`)].join(', ');
}

/** Env variables with our prefix that are not config keys (process plumbing). */
const RESERVED_ENV = new Set(['GATEWORKER_RUN_DIR', 'GATEWORKER_CHILD', 'GATEWORKER_CONFIG']);

export function envNameOf(key: string): string {
  return (
    'GATEWORKER_' +
    key
      .replace(/\./g, '_')
      .replace(/([a-z])([A-Z])/g, '$1_$2')
      .toUpperCase()
  );
}

export interface Override {
  key: string;
  value: unknown;
  /** Where it came from, for error messages: `env GATEWORKER_X` or `flag --x`. */
  source: string;
}

export function parseOverrideValue(key: string, text: string, source: string): unknown {
  const kind = kindOf(key);
  if (kind === undefined) throw new ConfigError(key, `${source}: unknown config key "${key}"`);
  const list = () =>
    text
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
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
  const listenerByName = new Map(Object.keys(LISTENER_KEYS).map((k) => [envNameOf(k).slice('GATEWORKER_'.length), k]));
  const out: Override[] = [];
  for (const [name, text] of Object.entries(env)) {
    if (!name.startsWith('GATEWORKER_') || RESERVED_ENV.has(name) || text === undefined) continue;
    let key = byName.get(name);
    const m = LISTENER_ENV.exec(name);
    if (key === undefined && m !== null && listenerByName.has(m[2] as string)) key = `gateway.listen[${m[1]}].${listenerByName.get(m[2] as string)}`;
    if (key === undefined) {
      throw new ConfigError(
        name,
        `env ${name}: not a gateworker setting (known: ${[...byName.keys()].join(', ')}, GATEWORKER_GATEWAY_LISTEN_<i>_<KEY>)`,
      );
    }
    out.push({ key, value: parseOverrideValue(key, text, `env ${name}`), source: `env ${name}` });
  }
  // A whole list before the keys of its items, whatever order the environment lists them in.
  return out.sort((a, b) => Number(LISTENER_KEY.test(a.key)) - Number(LISTENER_KEY.test(b.key)));
}

/** A key's path as segments: `gateway.listen[0].url` → ['gateway', 'listen', 0, 'url']. */
export function pathOf(key: string): (string | number)[] {
  return key.split('.').flatMap((part) => {
    const m = /^([^[]+)\[(\d+)\]$/.exec(part);
    return m === null ? [part] : [m[1] as string, Number(m[2])];
  });
}

/**
 * Applies one override to the config tree. `gateway.listen` (a list of URLs) keeps each listener's
 * other keys by position, so `GATEWORKER_GATEWAY_LISTEN=tcp://…` does not silently reset a
 * listener's framing or limits.
 */
export function applyOverride(tree: Record<string, unknown>, override: Override): void {
  if (override.key === 'gateway.listen' && Array.isArray(override.value)) {
    const gateway = tree['gateway'];
    const before =
      typeof gateway === 'object' && gateway !== null && Array.isArray((gateway as Record<string, unknown>)['listen'])
        ? ((gateway as Record<string, unknown>)['listen'] as unknown[])
        : [];
    const merged = (override.value as { url: string }[]).map((l, i) => {
      const old = before[i];
      return typeof old === 'object' && old !== null && !Array.isArray(old) ? { ...old, url: l.url } : l;
    });
    setPath(tree, override.key, merged);
    return;
  }
  const m = LISTENER_KEY.exec(override.key);
  if (m !== null) {
    const index = Number(m[1]);
    const gateway = tree['gateway'] as Record<string, unknown> | undefined;
    const count = Array.isArray(gateway?.['listen']) ? (gateway['listen'] as unknown[]).length : 0;
    if (index > count) {
      throw new ConfigError(override.key, `${override.source}: ${override.key}: there are ${count} listeners; a new one takes index ${count}`);
    }
  }
  setPath(tree, override.key, override.value);
}

/** Sets `value` at a key's path (`a.b`, `a.list[2].c`), creating objects and lists on the way. */
export function setPath(tree: Record<string, unknown>, key: string, value: unknown): void {
  const parts = pathOf(key);
  let node: Record<string | number, unknown> = tree;
  for (let i = 0; i < parts.length - 1; i++) {
    const part = parts[i] as string | number;
    const wantList = typeof parts[i + 1] === 'number';
    const next = node[part];
    const ok = typeof next === 'object' && next !== null && Array.isArray(next) === wantList;
    if (!ok) node[part] = wantList ? [] : {};
    node = node[part] as Record<string | number, unknown>;
  }
  node[parts[parts.length - 1] as string | number] = value;
}
