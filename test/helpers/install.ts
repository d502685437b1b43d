import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

/**
 * Installs gateworker into a fresh application directory the way a user's `npm install gateworker`
 * does, without the registry: the root and every workspace package come from `npm pack` tarballs of this checkout;
 * their third-party dependencies come from npm's local cache, pinned by this repository's lockfile
 * (the versions `npm ci` installed here, so the cache holds their tarballs). The install runs with
 * `--offline`: a dependency the cache cannot serve fails it instead of reaching the network.
 */

const run = promisify(execFile);
export const REPO = resolve(import.meta.dirname, '../..');
const NPM_TIMEOUT_MS = 180_000;

/** Workspace folders packed next to the root package (every workspace), and their package names. */
const PARTS: Record<string, string> = Object.fromEntries(
  (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces.map((folder) => [
    folder,
    (JSON.parse(readFileSync(join(REPO, folder, 'package.json'), 'utf8')) as { name: string }).name,
  ]),
);

/** Every package a user's install gets from this checkout: the root and each workspace. */
export const PACKAGE_NAMES: readonly string[] = ['gateworker', ...Object.values(PARTS)].sort();

interface LockEntry {
  version?: string;
  resolved?: string;
  dev?: boolean;
  link?: boolean;
  [key: string]: unknown;
}

/** `npm pack`s the root package and its parts into `dest`; returns package name → tarball path. Expects a build (`npm test` builds first). */
export async function packAll(dest: string): Promise<Record<string, string>> {
  const { stdout } = await run(
    'npm',
    ['pack', '--ignore-scripts', '--json', '--pack-destination', dest, '.', ...Object.keys(PARTS).map((p) => `./${p}`)],
    {
      cwd: REPO,
      timeout: NPM_TIMEOUT_MS,
    },
  );
  const packed = JSON.parse(stdout) as { name: string; filename: string }[];
  return Object.fromEntries(packed.map((p) => [p.name, join(dest, p.filename)]));
}

/** Tarball URL of `name@version` on `registry`, as npm records it (`resolved`). */
function tarballUrl(registry: string, name: string, version: string): string {
  const base = name.slice(name.lastIndexOf('/') + 1);
  return `${registry.replace(/\/$/, '')}/${name}/-/${base}-${version}.tgz`;
}

/**
 * Writes `app/package.json` depending on the tarballs, and a lockfile holding the repository's
 * production dependencies (no dev ones, no workspace links), then runs `npm install --offline`.
 * npm adds the tarball packages to the tree and finds every dependency edge of theirs already met
 * by the lockfile; it reads those packages' tarballs from the cache by integrity.
 */
export async function installOffline(app: string, tarballs: Record<string, string>): Promise<void> {
  const registry = (await run('npm', ['config', 'get', 'registry'], { cwd: REPO })).stdout.trim();
  const dependencies = Object.fromEntries(Object.entries(tarballs).map(([name, file]) => [name, `file:${file}`]));
  const pkg = { name: 'gw-install-app', version: '1.0.0', private: true, type: 'module', dependencies };
  writeFileSync(join(app, 'package.json'), JSON.stringify(pkg, null, 2));
  const repoLock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const packages: Record<string, LockEntry> = { '': { name: pkg.name, version: pkg.version, dependencies } };
  for (const [path, entry] of Object.entries(repoLock.packages)) {
    if (!path.startsWith('node_modules/') || entry.dev === true || entry.link === true || path.startsWith('node_modules/@gateworker/')) continue;
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    packages[path] = { ...entry, resolved: entry.resolved ?? tarballUrl(registry, name, entry.version ?? '') };
  }
  writeFileSync(
    join(app, 'package-lock.json'),
    JSON.stringify({ name: pkg.name, version: pkg.version, lockfileVersion: 3, requires: true, packages }, null, 2),
  );
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app, timeout: NPM_TIMEOUT_MS });
}

/** The `gateworker` packages installed in `app` (name → absolute folder), to count copies. */
export function installedCopies(app: string, name: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.startsWith('@')) {
        for (const scoped of readdirSync(join(dir, entry))) visit(join(dir, entry, scoped), `${entry}/${scoped}`);
      } else {
        visit(join(dir, entry), entry);
      }
    }
  };
  const visit = (folder: string, pkgName: string): void => {
    if (pkgName === name) out.push(folder);
    walk(join(folder, 'node_modules'));
  };
  walk(join(app, 'node_modules'));
  return out;
}
