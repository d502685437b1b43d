import { ProtocolError } from './errors.js';

/** Largest client number: client numbers travel as unsigned 48-bit integers. */
export const MAX_CLIENT_NUMBER = 2 ** 48 - 1;
/** Longest uid, in UTF-16 code units (its UTF-8 form then fits the u16 length of event frames). */
export const MAX_UID_LENGTH = 1024;
/** Longest node id (Hello, Auth, GatewayInfo, WorkerInfo), in characters. */
export const MAX_NODE_ID_LENGTH = 256;
/** Longest worker id (WorkerInfo, WorkerReady), in characters. */
export const MAX_WORKER_ID_LENGTH = 256;
/** Longest cluster name (config key `cluster`), in characters. */
export const MAX_CLUSTER_NAME_LENGTH = 64;
/** What a cluster name may contain: letters, digits, `.`, `_`, `-`. */
export const CLUSTER_NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Reads the fields of a decoded msgpack object, checking each one. Decoded data is `unknown`
 * until it has been through here; any mismatch is a ProtocolError naming the message and field.
 */
export class FieldReader {
  private readonly obj: Record<string, unknown>;

  constructor(
    private readonly what: string,
    value: unknown,
  ) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
      throw ProtocolError.invalid(what, 'body is not a map');
    }
    this.obj = value as Record<string, unknown>;
  }

  private fail(key: string, expected: string): never {
    throw ProtocolError.invalid(this.what, `field "${key}" is not ${expected}`);
  }

  raw(key: string): unknown {
    return this.obj[key];
  }

  str(key: string, maxLength = 65_536): string {
    const v = this.obj[key];
    if (typeof v !== 'string' || v.length > maxLength) this.fail(key, `a string of at most ${maxLength} characters`);
    return v;
  }

  nullableStr(key: string, maxLength = 65_536): string | null {
    return this.obj[key] === null || this.obj[key] === undefined ? null : this.str(key, maxLength);
  }

  /** A non-negative safe integer. */
  int(key: string): number {
    const v = this.obj[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) this.fail(key, 'a non-negative integer');
    return v;
  }

  client(key = 'client'): number {
    const v = this.int(key);
    if (v < 1 || v > MAX_CLIENT_NUMBER) this.fail(key, 'a client number');
    return v;
  }

  bool(key: string): boolean {
    const v = this.obj[key];
    if (typeof v !== 'boolean') this.fail(key, 'a boolean');
    return v;
  }

  bytes(key: string): Uint8Array {
    const v = this.obj[key];
    if (!(v instanceof Uint8Array)) this.fail(key, 'binary');
    return v;
  }

  nullableBytes(key: string): Uint8Array | null {
    return this.obj[key] === null || this.obj[key] === undefined ? null : this.bytes(key);
  }

  strArray(key: string, maxLength = 65_536): string[] {
    const v = this.obj[key];
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && s.length <= maxLength)) this.fail(key, 'a list of strings');
    return v as string[];
  }

  clientArray(key: string): number[] {
    const v = this.obj[key];
    if (!Array.isArray(v) || !v.every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 1 && n <= MAX_CLIENT_NUMBER)) {
      this.fail(key, 'a list of client numbers');
    }
    return v as number[];
  }

  reader(key: string): FieldReader {
    return new FieldReader(`${this.what}.${key}`, this.obj[key]);
  }

  nullableReader(key: string): FieldReader | null {
    return this.obj[key] === null || this.obj[key] === undefined ? null : this.reader(key);
  }

  array(key: string): unknown[] {
    const v = this.obj[key];
    if (!Array.isArray(v)) this.fail(key, 'a list');
    return v;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T {
    const v = this.obj[key];
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) this.fail(key, `one of ${allowed.join(', ')}`);
    return v as T;
  }

  /** A map of string keys to strings or lists of strings (HTTP headers). */
  headers(key: string): Record<string, string | string[]> {
    const v = this.obj[key];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(key, 'a map of headers');
    for (const h of Object.values(v as Record<string, unknown>)) {
      if (typeof h !== 'string' && !(Array.isArray(h) && h.every((x) => typeof x === 'string'))) this.fail(key, 'a map of headers');
    }
    return v as Record<string, string | string[]>;
  }
}
