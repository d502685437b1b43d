import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ConfigError } from '../../bin/src/config/errors.js';

/**
 * Files for config-loader tests, all in one temporary directory (so a config can name a file
 * next to it by a relative path); every name gets a counter prefix, so tests never overwrite each
 * other's files. `remove()` in afterAll.
 */
export class TempFiles {
  readonly dir: string;
  private n = 0;

  constructor(prefix = 'gw-test-') {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
  }

  write(text: string, name = 'gateworker.yaml'): string {
    const path = join(this.dir, `${this.n++}-${name}`);
    writeFileSync(path, text);
    return path;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The ConfigError `fn` throws; fails the test when it throws anything else or nothing. */
export function configFailure(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}
