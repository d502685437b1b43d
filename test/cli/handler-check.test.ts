import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { handlerFileProblem } from '../../bin/src/config/handler-file.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'gw-handler-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function start(configFile: string) {
  return runCli(['start', '-c', configFile], { env: { ...process.env, GATEWORKER_RUN_DIR: dir } });
}

function config(handler: string): string {
  // Port 0 everywhere: a config that passes the check starts on free ports.
  return write(
    `gw-${Math.random().toString(36).slice(2)}.yaml`,
    `register: { listen: 127.0.0.1:0 }\ngateway:\n  listen: [{ url: ws://127.0.0.1:0/ }]\n  internal: 127.0.0.1:0\nworker:\n  handler: ${handler}\n`,
  );
}

describe('the handler file is checked with the config', () => {
  it('a missing handler: exit 2 naming worker.handler and its position, before any process starts', async () => {
    const file = config('./missing.mjs');
    const r = await start(file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:6:12: worker.handler: ${join(dir, 'missing.mjs')}: file not found`);
    expect(r.stdout).toBe(''); // nothing started, nothing logged
  });

  it('a syntax error in a JavaScript handler: file:line:column, reported once', async () => {
    write('bad.mjs', 'export default {\n  onMessage(c, m) {\n    c.send(m;\n  },\n};\n');
    const r = await start(config('./bad.mjs'));
    expect(r.code).toBe(2);
    const where = `${join(dir, 'bad.mjs')}:3:13: syntax error:`;
    expect(r.stderr).toContain(where);
    expect(r.stderr.split(where)).toHaveLength(2);
    expect(r.stdout).toBe('');
  });

  it('a syntax error in a TypeScript handler: file:line:column', () => {
    const file = write('bad.ts', 'interface S { a: number }\nconst x: S = { a: 1 ;\nexport default {};\n');
    expect(handlerFileProblem(file)).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:21: syntax error: `));
  });

  it('a handler that parses passes, TypeScript syntax included', () => {
    expect(
      handlerFileProblem(write('ok.ts', 'interface S { a: number }\nexport default { onConnect(c: { session: S }) { c.session.a = 1; } };\n')),
    ).toBeNull();
    expect(
      handlerFileProblem(write('ok.mjs', 'const x = await Promise.resolve(1);\nexport default { onMessage(c, m) { c.send(m + x); } };\n')),
    ).toBeNull();
  });
});
