import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BusErrorCode } from '@gateworker/bus';
import { CentreErrorCode } from '@gateworker/centre';
import { DiscoveryErrorCode } from '@gateworker/discovery';
import { GatewayErrorCode } from '@gateworker/gateway';
import { ErrorCode, WireErrorCode } from '@gateworker/protocol';
import { RegisterErrorCode } from '@gateworker/register';
import { WorkerErrorCode } from '@gateworker/worker';
import { describe, expect, it } from 'vitest';
import { ConfigErrorCode } from '../bin/src/config/errors.js';
import { ControlErrorCode } from '../bin/src/supervisor/errors.js';

// The one error catalogue: every `GW_ERR_*` code of every package, checked for uniqueness, naming,
// use and documentation (the model is fastify's test/internals/errors.test.js). A code shared by
// several packages is defined once (in @gateworker/protocol's `ErrorCode`) and imported.

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Catalogue name (as written in the sources) → its package and its codes. */
const CATALOGUES: Record<string, { pkg: string; codes: Readonly<Record<string, string>> }> = {
  ErrorCode: { pkg: '@gateworker/protocol', codes: ErrorCode },
  RegisterErrorCode: { pkg: '@gateworker/register', codes: RegisterErrorCode },
  GatewayErrorCode: { pkg: '@gateworker/gateway', codes: GatewayErrorCode },
  WorkerErrorCode: { pkg: '@gateworker/worker', codes: WorkerErrorCode },
  CentreErrorCode: { pkg: '@gateworker/centre', codes: CentreErrorCode },
  BusErrorCode: { pkg: '@gateworker/bus', codes: BusErrorCode },
  DiscoveryErrorCode: { pkg: '@gateworker/discovery', codes: DiscoveryErrorCode },
  ConfigErrorCode: { pkg: 'gateworker (CLI)', codes: ConfigErrorCode },
  ControlErrorCode: { pkg: 'gateworker (CLI)', codes: ControlErrorCode },
};

const entries = Object.entries(CATALOGUES).flatMap(([catalogue, { pkg, codes }]) =>
  Object.entries(codes).map(([key, code]) => ({ catalogue, pkg, key, code })),
);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

const SOURCES = [
  ...readdirSync(join(ROOT, 'packages')).flatMap((pkg) => sourceFiles(join(ROOT, 'packages', pkg, 'src'))),
  ...sourceFiles(join(ROOT, 'bin', 'src')),
].map((path) => ({ path: relative(ROOT, path), text: readFileSync(path, 'utf8') }));

describe('error catalogue', () => {
  it('has at least one catalogue per package', () => {
    expect(entries.length).toBeGreaterThan(30);
  });

  it('defines every code once, across all packages', () => {
    const seen = new Map<string, string>();
    for (const { catalogue, key, code } of entries) {
      expect(seen.get(code), `${code} is defined by ${seen.get(code)} and ${catalogue}.${key}`).toBeUndefined();
      seen.set(code, `${catalogue}.${key}`);
    }
  });

  it('names every code GW_ERR_ followed by upper-case words', () => {
    for (const { code } of entries) expect(code).toMatch(/^GW_ERR_[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/);
  });

  it('knows every GW_ERR_ code written in the sources', () => {
    const known = new Set(entries.map((e) => e.code));
    for (const { path, text } of SOURCES) {
      for (const [, code] of text.matchAll(/['"`](GW_ERR_[A-Z0-9_]+)['"`]/g)) {
        expect(known.has(code!), `${path} uses ${code} which no catalogue defines`).toBe(true);
      }
    }
  });

  it('raises every code somewhere (referenced by name, or as a typed literal)', () => {
    for (const { catalogue, key, code } of entries) {
      const byName = new RegExp(`(?<![A-Za-z])${catalogue}\\.${key}\\b`);
      const used = SOURCES.some(({ text }) => byName.test(text) || (text.includes(`'${code}'`) && !text.includes(`${key}: '${code}'`)));
      expect(used, `${catalogue}.${key} (${code}) is never raised: raise it or delete it`).toBe(true);
    }
  });

  it('gives protocol wire codes unique numbers, each naming a protocol code', () => {
    const numbers = Object.values(WireErrorCode);
    expect(new Set(numbers).size).toBe(numbers.length);
    for (const key of Object.keys(WireErrorCode)) expect(ErrorCode).toHaveProperty(key);
  });

  it('is listed exactly in docs/errors.md, with the right package', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');
    const rows = new Map<string, string>();
    for (const [, code, pkg] of doc.matchAll(/^\| `(GW_ERR_[A-Z0-9_]+)` \| ([^|]+?) \|/gm)) {
      expect(rows.has(code!), `${code} is listed twice in docs/errors.md`).toBe(false);
      rows.set(code!, pkg!.replace(/`/g, ''));
    }
    expect([...rows.keys()].sort()).toEqual(entries.map((e) => e.code).sort());
    for (const { code, pkg } of entries) expect(rows.get(code), code).toBe(pkg);
  });
});
