import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMap, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from './errors.js';
import { handlerFileProblem } from './handler-file.js';
import { applyOverride, envOverrides, type Override } from './overrides.js';
import { configSchema, DEFAULT_GATEWAY_INTERNAL, DEFAULT_REGISTER_LISTEN, type Config } from './schema.js';
import { checkSecretStrength, readSecretFile } from './secret.js';

/**
 * Configuration loading, shared by every role: YAML file, then `GATEWORKER_*` env, then CLI flags
 * (flags > env > file > defaults), validated once into a read-only `Config`. Any problem throws a
 * ConfigError naming the key and where it came from (file:line:col, env variable or flag).
 */

export interface LoadedConfig {
  config: Readonly<Config>;
  /** Absolute path of the file, or null for the built-in default. */
  file: string | null;
  /** Directory relative paths in the file are resolved against. */
  baseDir: string;
}

/** The built-in default: a register, one gateway with ws on 127.0.0.1:7272, two echo workers. */
export const DEFAULT_CONFIG = {
  register: { listen: DEFAULT_REGISTER_LISTEN },
  gateway: { listen: [{ url: 'ws://127.0.0.1:7272/' }], internal: DEFAULT_GATEWAY_INTERNAL },
  worker: { processes: 2, handler: fileURLToPath(new URL('../../echo-handler.js', import.meta.url)) },
};

/** The config centre's document, the highest-priority layer (centre > flags > env > file > defaults). */
export interface CentreLayer {
  text: string;
  /** Where it came from, for error messages, e.g. `etcd http://…:2379 key /gateworker/prod/config`. */
  origin: string;
}

interface ParsedLayer {
  tree: Record<string, unknown>;
  doc: Document;
  lines: LineCounter;
  /** File path or centre origin, used in `where:line:col`. */
  name: string;
}

interface Source {
  doc: Document | null;
  lines: LineCounter;
  file: string | null;
  overrides: Override[];
  centre: ParsedLayer | null;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' || /^\d+$/.test(String(p)) ? `[${String(p)}]` : `${out === '' ? '' : '.'}${String(p)}`;
  return out;
}

/** Where a key was set: the override that set it or its enclosing key, else its (or its nearest parent's) file position. */
function locate(source: Source, path: readonly PropertyKey[]): string {
  if (source.centre !== null && centreOwns(source.centre.tree, path)) {
    const where = positionIn(source.centre, path);
    if (where !== null) return where;
  }
  const dotted = path.map(String).join('.');
  const override = [...source.overrides].reverse().find((o) => {
    const key = o.key.replace(/\[(\d+)\]/g, '.$1');
    return dotted === key || dotted.startsWith(key + '.');
  });
  if (override !== undefined) return override.source;
  if (source.doc === null || source.file === null) return 'built-in default';
  for (let n = path.length; n >= 0; n--) {
    const node = source.doc.getIn(
      path.slice(0, n).map((p) => (/^\d+$/.test(String(p)) ? Number(p) : p)),
      true,
    ) as { range?: [number, number, number] } | undefined;
    if (node?.range !== undefined) {
      const { line, col } = source.lines.linePos(node.range[0]);
      return `${source.file}:${line}:${col}`;
    }
  }
  return source.file;
}

/** Did the centre's document set this path (itself, or a list or value it replaced wholesale)? */
function centreOwns(tree: Record<string, unknown>, path: readonly PropertyKey[]): boolean {
  if (path.length === 0) return false;
  let node: unknown = tree;
  for (const p of path) {
    if (!isMapping(node)) return true;
    if (!(String(p) in node)) return false;
    node = node[String(p)];
  }
  return true;
}

/** `name:line:col` of the deepest node of `path` that exists in a parsed layer. */
function positionIn(layer: ParsedLayer, path: readonly PropertyKey[]): string | null {
  for (let n = path.length; n > 0; n--) {
    const node = layer.doc.getIn(
      path.slice(0, n).map((p) => (/^\d+$/.test(String(p)) ? Number(p) : p)),
      true,
    ) as { range?: [number, number, number] } | undefined;
    if (node?.range !== undefined) {
      const { line, col } = layer.lines.linePos(node.range[0]);
      return `${layer.name}:${line}:${col}`;
    }
  }
  return null;
}

/** Position of a key itself (not its value) inside the map at `path`. */
function locateKey(source: Source, path: readonly PropertyKey[], key: string): string | null {
  if (source.doc === null || source.file === null) return null;
  const map =
    path.length === 0
      ? source.doc.contents
      : source.doc.getIn(
          path.map((p) => (/^\d+$/.test(String(p)) ? Number(p) : p)),
          true,
        );
  if (!isMap(map)) return null;
  const pair = map.items.find((item) => (item.key as { value?: unknown } | null)?.value === key);
  const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
  if (range === undefined) return null;
  const { line, col } = source.lines.linePos(range[0]);
  return `${source.file}:${line}:${col}`;
}

function fail(source: Source, issue: z.core.$ZodIssue): never {
  const key = formatPath(issue.path);
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => formatPath([...issue.path, k]));
    const where = locateKey(source, issue.path, issue.keys[0] as string) ?? locate(source, issue.path);
    throw new ConfigError(keys[0] ?? key, `${where}: unknown key ${keys.map((k) => `"${k}"`).join(', ')}`);
  }
  if (issue.code === 'invalid_type' && /received undefined/.test(message)) message = 'missing (required)';
  throw new ConfigError(key, `${locate(source, issue.path)}: ${key === '' ? '' : `${key}: `}${message}`);
}

function readFile(file: string): { tree: Record<string, unknown>; doc: Document; lines: LineCounter } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('', `cannot read config file ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseYaml(text, file);
}

/** Parses one YAML document that must be a mapping; errors name `name:line:col`. */
export function parseYaml(text: string, file: string): { tree: Record<string, unknown>; doc: Document; lines: LineCounter } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const { line, col } = lines.linePos(e.pos[0]);
    throw new ConfigError('', `${file}:${line}:${col}: YAML syntax error: ${e.message.split('\n')[0]}`);
  }
  if (doc.contents !== null && !isMap(doc.contents)) throw new ConfigError('', `${file}:1:1: the config must be a mapping of keys`);
  return { tree: (doc.toJS() ?? {}) as Record<string, unknown>, doc, lines };
}

export interface LoadOptions {
  /** Config file path, or null for none. */
  file: string | null;
  /** The tree to start from when there is no file (default: the built-in default). */
  base?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  /** Overrides from CLI flags, applied after env. */
  flags?: Override[];
  /** The config centre's document, applied last (it wins over flags). */
  centre?: CentreLayer | null;
  cwd?: string;
  /** Check that worker.handler exists and parses (commands that run workers: start, worker, reload). */
  checkHandler?: boolean;
}

export function loadConfig(options: LoadOptions): LoadedConfig {
  const cwd = options.cwd ?? process.cwd();
  const file = options.file === null ? null : resolve(cwd, options.file);
  let tree: Record<string, unknown>;
  const source: Source = { doc: null, lines: new LineCounter(), file, overrides: [], centre: null };
  if (file === null) {
    tree = structuredClone(options.base ?? DEFAULT_CONFIG);
  } else {
    const read = readFile(file);
    tree = read.tree;
    source.doc = read.doc;
    source.lines = read.lines;
  }
  source.overrides = [...envOverrides(options.env ?? process.env), ...(options.flags ?? [])];
  // Without a file, discovery from env or flags takes the built-in register's place.
  if (file === null && source.overrides.some((o) => o.key.startsWith('discovery.'))) delete tree['register'];
  for (const o of source.overrides) applyOverride(tree, o);
  if (options.centre != null) {
    source.centre = { ...parseYaml(options.centre.text, options.centre.origin), name: options.centre.origin };
    if ('config' in source.centre.tree) {
      throw new ConfigError(
        'config',
        `${positionIn(source.centre, ['config']) ?? options.centre.origin}: the centre's document cannot set "config" (where the centre is)`,
      );
    }
    mergeInto(tree, source.centre.tree);
  }

  const parsed = configSchema.safeParse(tree);
  if (!parsed.success) fail(source, parsed.error.issues[0]!);
  const config = parsed.data;
  const baseDir = file === null ? cwd : dirname(file);
  // Relative paths in the file are relative to the file; from env or flags, to the working directory.
  const rel = (key: string, p: string) => (isAbsolute(p) ? p : resolve(source.overrides.some((o) => o.key === key) ? cwd : baseDir, p));
  if (config.worker !== undefined) {
    config.worker.handler = rel('worker.handler', config.worker.handler);
    const problem = options.checkHandler === true ? handlerFileProblem(config.worker.handler) : null;
    if (problem !== null) throw new ConfigError('worker.handler', `${locate(source, ['worker', 'handler'])}: worker.handler: ${problem}`);
  }
  const tls = config.discovery?.etcd?.tls;
  if (tls !== undefined) {
    for (const k of ['ca', 'cert', 'key'] as const) {
      const value = tls[k];
      if (value !== undefined) tls[k] = rel(`discovery.etcd.tls.${k}`, value);
    }
  }
  const secretKey = config.secretFile === undefined ? 'secret' : 'secretFile';
  if (config.secretFile !== undefined) {
    if (tree['secret'] !== undefined) {
      throw new ConfigError(
        'secretFile',
        `${locate(source, ['secretFile'])}: secretFile and secret are exclusive: set one of them (${locate(source, ['secret'])} sets secret)`,
      );
    }
    config.secretFile = rel('secretFile', config.secretFile);
    config.secret = readSecretFile(config.secretFile, locate(source, ['secretFile']));
  }
  checkSecretStrength(config, secretKey, locate(source, [secretKey]));
  config.gateway?.listen.forEach((l, i) => {
    if (l.cert !== undefined) l.cert = rel(`gateway.listen[${i}].cert`, l.cert);
    if (l.key !== undefined) l.key = rel(`gateway.listen[${i}].key`, l.key);
  });
  return { config: deepFreeze(config), file, baseDir };
}

/** Deep merge: mappings merge key by key; lists and scalars from `top` replace. */
export function mergeInto(base: Record<string, unknown>, top: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(top)) {
    const under = base[key];
    if (isMapping(value) && isMapping(under)) mergeInto(under, value);
    else base[key] = structuredClone(value);
  }
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
