import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../bin/src/config/load.js';
import { TempFiles, configFailure } from '../helpers/temp-files.js';

const files = new TempFiles('gw-secret-');
afterAll(() => files.remove());
const dir = files.dir;
const file = (name: string, text: string): string => files.write(text, name);

const failure = configFailure;

const OFF_LOOPBACK = 'register:\n  listen: 0.0.0.0:1236\n';

describe('secretFile', () => {
  it('reads the secret from the file, trailing newline trimmed, path relative to the config file', () => {
    const secretPath = file('secret', 'a-long-enough-secret-value\n');
    const config = file('gateworker.yaml', `secretFile: ./${secretPath.slice(dir.length + 1)}\n${OFF_LOOPBACK}`);
    const loaded = loadConfig({ file: config, env: {} });
    expect(loaded.config.secret).toBe('a-long-enough-secret-value');
    expect(loaded.config.secretFile).toBe(secretPath);
    const crlf = file('secret', 'another-long-secret-value\r\n');
    expect(loadConfig({ file: null, base: { register: {} }, env: { GATEWORKER_SECRET_FILE: crlf } }).config.secret).toBe('another-long-secret-value');
  });

  it('is settable from env and flags like every key', () => {
    const secretPath = file('secret', 'from-a-file-0123456789\n');
    const config = file('gateworker.yaml', OFF_LOOPBACK);
    expect(loadConfig({ file: config, env: { GATEWORKER_SECRET_FILE: secretPath } }).config.secret).toBe('from-a-file-0123456789');
    const viaFlag = loadConfig({ file: config, env: {}, flags: [{ key: 'secretFile', value: secretPath, source: 'flag --secret-file' }] });
    expect(viaFlag.config.secret).toBe('from-a-file-0123456789');
  });

  it('is exclusive with secret', () => {
    const secretPath = file('secret', 'from-a-file-0123456789\n');
    const config = file('gateworker.yaml', `secret: also-a-long-secret-here\nsecretFile: ${secretPath}\n${OFF_LOOPBACK}`);
    const err = failure(() => loadConfig({ file: config, env: {} }));
    expect(err.key).toBe('secretFile');
    expect(err.message).toContain('exclusive');
    expect(err.message).toContain(`${config}:2:`);
  });

  it('names the key when the file cannot be read', () => {
    const config = file('gateworker.yaml', `secretFile: ${join(dir, 'missing')}\n${OFF_LOOPBACK}`);
    const missing = failure(() => loadConfig({ file: config, env: {} }));
    expect(missing.key).toBe('secretFile');
    expect(missing.message).toContain('ENOENT');
    if (process.getuid?.() !== 0) {
      const unreadable = file('secret', 'x'.repeat(20));
      chmodSync(unreadable, 0o000);
      const err = failure(() => loadConfig({ file: null, base: { register: {} }, env: { GATEWORKER_SECRET_FILE: unreadable } }));
      expect(err.key).toBe('secretFile');
      expect(err.message).toContain('env GATEWORKER_SECRET_FILE');
    }
  });
});

describe('secret strength off loopback', () => {
  it('needs at least 16 non-whitespace characters when an internal address is not loopback', () => {
    const config = file('gateworker.yaml', OFF_LOOPBACK);
    const spaces = failure(() => loadConfig({ file: config, env: { GATEWORKER_SECRET: '   ' } }));
    expect(spaces.key).toBe('secret');
    expect(spaces.message).toContain('16 non-whitespace characters');
    expect(spaces.message).toContain('register.listen (0.0.0.0:1236)');
    const padded = failure(() => loadConfig({ file: config, env: { GATEWORKER_SECRET: ' 123456789012345 ' } }));
    expect(padded.message).toContain('(has 15)');
    expect(loadConfig({ file: config, env: { GATEWORKER_SECRET: '1234567890123456' } }).config.secret).toBe('1234567890123456');
    const fromFile = failure(() => loadConfig({ file: config, env: { GATEWORKER_SECRET_FILE: file('secret', 'short\n') } }));
    expect(fromFile.key).toBe('secretFile');
  });

  it('allows a short or empty secret when everything is loopback', () => {
    const config = file('gateworker.yaml', 'register:\n  listen: 127.0.0.1:1236\n');
    expect(loadConfig({ file: config, env: {} }).config.secret).toBe('');
    expect(loadConfig({ file: config, env: { GATEWORKER_SECRET: 'x' } }).config.secret).toBe('x');
  });

  it('checks every internal address: gateway.internal, advertise, registers', () => {
    const gw = file(
      'gateworker.yaml',
      'secret: short\ngateway:\n  listen: [{ url: "ws://0.0.0.0:1/" }]\n  internal: 10.0.0.1:2900\n  registers: [127.0.0.1:1236]\n',
    );
    expect(failure(() => loadConfig({ file: gw, env: {} })).message).toContain('gateway.internal (10.0.0.1:2900)');
    const worker = file('gateworker.yaml', 'worker:\n  handler: ./h.js\n  registers: [10.0.0.5:1236]\n');
    expect(failure(() => loadConfig({ file: worker, env: {} })).message).toContain('worker.registers[0]');
  });
});
