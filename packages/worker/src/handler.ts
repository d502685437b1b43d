import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from '@gateworker/protocol/node';
import type { ClusterApi, Session } from './cluster-api-types.js';
import { HandlerLoadError } from './errors.js';

/** The WebSocket upgrade request, as `onWebSocketConnect` receives it. */
export interface UpgradeRequest {
  url: string;
  headers: Record<string, string | string[]>;
  remoteAddress: string;
}

/**
 * A connected client, as handlers see it. One object per client for as long as it is connected.
 * `S` is the session type: any object type, a TypeScript `interface` included.
 */
export interface Client<S extends object = Session> {
  /** Cluster-wide client id: routable, never reused. */
  readonly id: string;
  /** '' and 0 when this worker did not see the client connect (it learns them from ClientConnect). */
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The listener URL the client connected to, as configured ('' when unknown). */
  readonly listener: string;
  /** A plain object. Changes made during a callback (also nested ones, or assigning a new object) are written back to the gateway. */
  session: S;
  /**
   * The client's bound uid, or null when none is. Up to date in every callback, also after a
   * handover from another worker: the gateway sends the uid with the session when this worker's
   * copy may be stale.
   */
  readonly uid: string | null;
  readonly gateway: ClusterApi<S>;
  send(data: string | Uint8Array): void;
  /** Sends `data` (if given) and closes the client. */
  close(data?: string | Uint8Array): void;
  bindUid(uid: string | number): void;
  unbindUid(): void;
  joinGroup(group: string | number): void;
  leaveGroup(group: string | number): void;
}

/** The free-form `app` section of the configuration, as handlers read it. */
export type AppConfig = Record<string, unknown>;

export interface WorkerContext<S extends object = Session, C extends object = AppConfig> {
  readonly id: string;
  readonly gateway: ClusterApi<S>;
  readonly logger: Logger;
  /**
   * A read-only snapshot of the configuration's `app` section. A live change (config centre or
   * watched file) replaces the whole snapshot at once, between two callbacks' turns, and then
   * `onConfigChange` runs; keep a reference only as long as you want that version.
   */
  readonly config: Readonly<C>;
}

/** What `onConfigChange` receives: the keys applied (dotted, `app.greeting`), and the `app` snapshots before and after. */
export interface ConfigChange<C extends object = AppConfig> {
  readonly changed: readonly string[];
  readonly previous: Readonly<C>;
  readonly current: Readonly<C>;
}

export type Awaitable<T> = T | Promise<T>;

export interface Handler<S extends object = Session, C extends object = AppConfig> {
  /** Once per worker process, before it takes events. */
  onWorkerStart?(worker: WorkerContext<S, C>): Awaitable<void>;
  /** A client connected (any listener). */
  onConnect?(client: Client<S>): Awaitable<void>;
  /**
   * WebSocket clients only, after `onConnect`. Return false (or throw) to reject: the client is
   * closed (ws close 1008) and this worker gives it no further events.
   */
  onWebSocketConnect?(client: Client<S>, request: UpgradeRequest): Awaitable<void | boolean>;
  /** A string for text frames and 'line' framing, a Buffer for binary data. */
  onMessage?(client: Client<S>, message: string | Buffer): Awaitable<void>;
  /** The client is gone; its session and uid are still readable, session changes are not written back. */
  onClose?(client: Client<S>): Awaitable<void>;
  /** Before a drained worker exits. */
  onWorkerStop?(worker: WorkerContext<S, C>): Awaitable<void>;
  /**
   * A live configuration change was applied (config centre or watched file): once per change,
   * never with half of one, one at a time, after `worker.config` already shows `current`.
   */
  onConfigChange?(worker: WorkerContext<S, C>, change: ConfigChange<C>): Awaitable<void>;
  /**
   * An event of this client ended its worker (exit, crash, OOM, kill) `info.deliveries` times
   * (worker.maxDeliveries): it is quarantined, never handled again, and given here instead.
   * `message` is the client message (string or Buffer) for a poisoned message event, null for a
   * poisoned connect or close. Called at most once per poisoned event; if it ends this worker
   * too, the notification is dropped (counted by the gateway), never redelivered.
   */
  onPoison?(client: Client<S>, message: string | Buffer | null, info: PoisonInfo): Awaitable<void>;
}

/** What `onPoison` learns about a quarantined event. */
export interface PoisonInfo {
  /** Which callback the event was for. */
  readonly event: 'connect' | 'message' | 'close';
  /** Worker deaths while the event was in flight. */
  readonly deliveries: number;
  /** sha256 of the message bytes, first 16 hex characters (as the gateway logs it); '' for connect/close. */
  readonly digest: string;
}

/**
 * Identity function that gives a handler module its types. `S` is the session type; an
 * `interface` works (`defineHandler<ChatSession>({...})`), and so does a type alias.
 */
export function defineHandler<S extends object = Session, C extends object = AppConfig>(handler: Handler<S, C>): Handler<S, C> {
  return handler;
}

export const HANDLER_CALLBACKS = [
  'onWorkerStart',
  'onConnect',
  'onWebSocketConnect',
  'onMessage',
  'onClose',
  'onWorkerStop',
  'onPoison',
  'onConfigChange',
] as const;
const KNOWN = new Set<string>(HANDLER_CALLBACKS);

/** Checks that `value` is a handler object; returns the problem, or null when it is one. */
export function handlerShapeProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `the default export is ${value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`}, expected an object of callbacks (use defineHandler({...}))`;
  }
  for (const key of Object.keys(value)) {
    if (!KNOWN.has(key)) {
      const hint = HANDLER_CALLBACKS.find((k) => k.toLowerCase() === key.toLowerCase());
      return `unknown callback "${key}"${hint === undefined ? '' : ` (did you mean "${hint}"?)`}; known: ${HANDLER_CALLBACKS.join(', ')}`;
    }
    const fn = (value as Record<string, unknown>)[key];
    if (typeof fn !== 'function' && fn !== undefined) return `"${key}" is a ${fn === null ? 'null' : typeof fn}, expected a function`;
  }
  return null;
}

/**
 * Imports a handler module and checks its default export. Relative paths resolve against the
 * current directory. Fails with a HandlerLoadError (GW_ERR_HANDLER_LOAD) that names the file and
 * the reason, with the original error as `cause`.
 */
export async function loadHandler(path: string): Promise<Handler<any>> {
  const file = isAbsolute(path) ? path : resolve(path);
  if (!existsSync(file)) throw new HandlerLoadError(file, 'file not found');
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new HandlerLoadError(file, importFailure(err), err);
  }
  if (!('default' in mod) || mod['default'] === undefined) {
    const named = Object.keys(mod);
    return failShape(file, `no default export${named.length > 0 ? ` (it exports ${named.join(', ')})` : ''}`);
  }
  const problem = handlerShapeProblem(mod['default']);
  if (problem !== null) return failShape(file, problem);
  return mod['default'] as Handler<any>;
}

function failShape(file: string, reason: string): never {
  throw new HandlerLoadError(file, reason);
}

function importFailure(err: unknown): string {
  // Checked by name, not instanceof: the error may come from another realm. Test runners that
  // transform imports (vite) report a syntax error as a plain Error about "invalid JS syntax".
  if (err instanceof Error && (err.name === 'SyntaxError' || /invalid JS syntax/.test(err.message))) return `syntax error: ${err.message}`;
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND') return `a module it imports was not found: ${(err as Error).message}`;
  if (code === 'ERR_UNKNOWN_FILE_EXTENSION') return `unsupported file type (compile TypeScript first): ${(err as Error).message}`;
  return `it threw while loading: ${err instanceof Error ? err.message : String(err)}`;
}
