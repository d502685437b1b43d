import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ConfigCentre } from '@gateworker/centre';
import { createCentre } from '../config/centre.js';
import { ConfigError } from '../config/errors.js';
import { changedKeys } from '../config/live.js';
import { loadConfig, parseYaml, type LoadedConfig, type LoadOptions } from '../config/load.js';

/**
 * `gateworker config get|diff|push`: the config centre's document. The centre is the one the
 * config (`-c`) names in its `config` section. `push` validates the document exactly as a
 * running process would (layered on the local file, env and flags) and refuses an invalid one.
 */

function centreOf(loaded: LoadedConfig): ConfigCentre {
  const centre = createCentre(loaded.config.config);
  if (centre === null)
    throw new ConfigError('config', `${loaded.file ?? 'the config'}: names no config centre (set config.etcd or config.zookeeper)`);
  return centre;
}

async function withCentre<T>(loaded: LoadedConfig, use: (centre: ConfigCentre) => Promise<T>): Promise<T> {
  const centre = centreOf(loaded);
  try {
    return await use(centre);
  } finally {
    await centre.close();
  }
}

function readDocument(path: string): string {
  try {
    return readFileSync(resolve(path), 'utf8');
  } catch (err) {
    throw new ConfigError('', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** Prints the centre's document (stdout) and its revision (stderr). */
export async function runConfigGet(loaded: LoadedConfig): Promise<void> {
  await withCentre(loaded, async (centre) => {
    const doc = await centre.read();
    if (doc === null) {
      process.stderr.write(`${centre.description}: no document\n`);
      return;
    }
    process.stdout.write(doc.text.endsWith('\n') || doc.text === '' ? doc.text : doc.text + '\n');
    process.stderr.write(`${centre.description}: revision ${doc.revision}\n`);
  });
}

/** Key by key: what pushing `path` would change in the centre's document. */
export async function runConfigDiff(loaded: LoadedConfig, path: string): Promise<void> {
  const local = parseYaml(readDocument(path), path).tree;
  await withCentre(loaded, async (centre) => {
    const doc = await centre.read();
    const remote = doc === null ? {} : parseYaml(doc.text, centre.description).tree;
    const changes = changedKeys(remote, local);
    if (changes.length === 0) {
      process.stdout.write(`no differences between ${path} and ${centre.description}\n`);
      return;
    }
    for (const { key, before, after } of changes) {
      const sign = before === undefined ? '+' : after === undefined ? '-' : '~';
      const show = (v: unknown) => (v === undefined ? '(unset)' : JSON.stringify(v));
      process.stdout.write(`${sign} ${key}: ${show(before)} -> ${show(after)}\n`);
    }
  });
}

/**
 * Validates `path` as the centre's document on top of the local layers (the same check a running
 * process makes), then writes it. An invalid document exits 2 naming the key and its line.
 */
export async function runConfigPush(loaded: LoadedConfig, sources: LoadOptions, path: string): Promise<void> {
  const text = readDocument(path);
  loadConfig({ ...sources, centre: { text, origin: path } });
  await withCentre(loaded, async (centre) => {
    const revision = await centre.write(text);
    process.stdout.write(`pushed ${path} to ${centre.description} (revision ${revision})\n`);
  });
}
