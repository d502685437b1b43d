import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ControlError } from '../../bin/src/supervisor/errors.js';
import { checkRunDir, prepareRunDir, readToken, removeRunDir, runDirFor, tokenPath, writeToken } from '../../bin/src/supervisor/run-dir.js';

const base = mkdtempSync(join(tmpdir(), 'gw-rundir-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ControlError);
    return (err as ControlError).code;
  }
  throw new Error('expected a ControlError');
}

const uid = process.getuid?.() ?? 0;

describe('run directory', () => {
  it('is under $XDG_RUNTIME_DIR when set, else a per-user directory in $TMPDIR; GATEWORKER_RUN_DIR wins', () => {
    const a = runDirFor('/srv/a.yaml', { XDG_RUNTIME_DIR: '/run/user/1000' });
    expect(a).toMatch(/^\/run\/user\/1000\/gateworker-[0-9a-f]{16}$/);
    expect(runDirFor('/srv/b.yaml', { XDG_RUNTIME_DIR: '/run/user/1000' })).not.toBe(a);
    expect(runDirFor('/srv/a.yaml', { TMPDIR: '/var/tmp' })).toMatch(new RegExp(`^/var/tmp/gateworker-${uid}/[0-9a-f]{16}$`));
    expect(runDirFor('/srv/a.yaml', { XDG_RUNTIME_DIR: 'relative', TMPDIR: '/var/tmp' })).toMatch(/^\/var\/tmp\//);
    expect(runDirFor(null, { GATEWORKER_RUN_DIR: '/x/y', XDG_RUNTIME_DIR: '/run/user/1000' })).toBe('/x/y');
  });

  it('creates every missing directory 0700 and accepts a sticky world-writable parent (like /tmp)', () => {
    const sticky = join(base, 'sticky');
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    const dir = join(sticky, `gateworker-${uid}`, 'abc');
    prepareRunDir(dir);
    expect(statSync(join(sticky, `gateworker-${uid}`)).mode & 0o777).toBe(0o700);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    checkRunDir(dir);
    removeRunDir(dir);
    expect(code(() => checkRunDir(dir))).toBe('GW_ERR_CONTROL_NOT_RUNNING');
  });

  it('refuses a parent that others may write to without the sticky bit, and a group-writable run directory', () => {
    const open = join(base, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    expect(code(() => prepareRunDir(join(open, 'run')))).toBe('GW_ERR_RUN_DIR_UNSAFE');
    const groupWritable = join(base, 'gw');
    mkdirSync(groupWritable);
    chmodSync(groupWritable, 0o770);
    expect(code(() => prepareRunDir(groupWritable))).toBe('GW_ERR_RUN_DIR_UNSAFE');
    expect(code(() => checkRunDir(groupWritable))).toBe('GW_ERR_RUN_DIR_UNSAFE');
  });

  it('writes a 0600 token and reads back only a private one', () => {
    const dir = join(base, 'tok');
    prepareRunDir(dir);
    const token = writeToken(dir);
    expect(statSync(tokenPath(dir)).mode & 0o777).toBe(0o600);
    expect(readToken(dir).equals(token)).toBe(true);
    chmodSync(tokenPath(dir), 0o644);
    expect(code(() => readToken(dir))).toBe('GW_ERR_RUN_DIR_UNSAFE');
    writeFileSync(tokenPath(dir), 'not hex\n', { mode: 0o600 });
    chmodSync(tokenPath(dir), 0o600);
    expect(code(() => readToken(dir))).toBe('GW_ERR_RUN_DIR_UNSAFE');
  });
});
