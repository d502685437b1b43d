import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HandlerLoadError } from '../src/errors.js';
import { defineHandler, loadHandler } from '../src/handler.js';

const dir = mkdtempSync(join(tmpdir(), 'gateworker-handler-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(source: string): string {
  const path = join(dir, `h${n++}.mjs`);
  writeFileSync(path, source);
  return path;
}

async function loadError(path: string): Promise<HandlerLoadError> {
  const err = await loadHandler(path).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HandlerLoadError);
  expect(err).toMatchObject({ code: 'GW_ERR_HANDLER_LOAD', file: path });
  expect((err as Error).message).toContain(path);
  return err as HandlerLoadError;
}

describe('loadHandler', () => {
  it('loads a valid handler module', async () => {
    const h = await loadHandler(file('export default { onMessage(c, m) { c.send(m); }, onClose: undefined };'));
    expect(typeof h.onMessage).toBe('function');
  });

  it('names a missing file', async () => {
    const err = await loadError(join(dir, 'missing.mjs'));
    expect(err.message).toContain('not found');
  });

  it('keeps the cause of a syntax error', async () => {
    const err = await loadError(file('export default { onMessage( };'));
    expect(err.message).toContain('syntax error');
    expect(err.cause).toBeInstanceOf(Error);
  });

  it('reports a module that throws while loading, and a missing dependency', async () => {
    const err = await loadError(file('throw new Error("no database");'));
    expect(err.message).toContain('no database');
    expect((err.cause as Error).message).toBe('no database');
    const dep = await loadError(file('import "./does-not-exist.mjs"; export default {};'));
    expect(dep.message).toContain('imports was not found');
  });

  it('requires a default export', async () => {
    const err = await loadError(file('export const onMessage = () => {};'));
    expect(err.message).toContain('no default export');
    expect(err.message).toContain('onMessage');
  });

  it('rejects unknown callback names, with a hint for a wrong case', async () => {
    const err = await loadError(file('export default { onmessage() {} };'));
    expect(err.message).toContain('unknown callback "onmessage"');
    expect(err.message).toContain('did you mean "onMessage"');
  });

  it('rejects callbacks that are not functions and exports that are not objects', async () => {
    expect((await loadError(file('export default { onConnect: 42 };'))).message).toContain('"onConnect" is a number');
    expect((await loadError(file('export default function () {}'))).message).toContain('a function');
    expect((await loadError(file('export default null;'))).message).toContain('the default export is null');
  });
});

describe('defineHandler', () => {
  it('is the identity', () => {
    const h = { onMessage() {} };
    expect(defineHandler(h)).toBe(h);
  });
});
