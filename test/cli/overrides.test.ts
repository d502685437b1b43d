import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configFor } from '../../bin/src/cli.js';
import { loadConfig } from '../../bin/src/config/load.js';
import { configFailure } from '../helpers/temp-files.js';

const dir = mkdtempSync(join(tmpdir(), 'gw-overrides-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FILE = join(dir, 'gateworker.yaml');
writeFileSync(
  FILE,
  `register: { listen: 127.0.0.1:1236 }
gateway:
  listen:
    - url: ws://127.0.0.1:7272/
      maxMessageSize: 64KiB
    - url: tcp://127.0.0.1:7273
      framing: length
      maxMessageSize: 1MiB
worker: { handler: ./app.js }
`,
);
writeFileSync(join(dir, 'app.js'), 'export default {};\n');

const failure = configFailure;

describe('listener keys from env and flags', () => {
  it("GATEWORKER_GATEWAY_LISTEN replaces the URLs and keeps each listener's framing and limits by position", () => {
    const { config } = loadConfig({ file: FILE, env: { GATEWORKER_GATEWAY_LISTEN: 'ws://127.0.0.1:8000/,tcp://127.0.0.1:8001' } });
    expect(config.gateway?.listen).toEqual([
      { url: 'ws://127.0.0.1:8000/', maxMessageSize: 64 * 1024 },
      { url: 'tcp://127.0.0.1:8001', framing: 'length', maxMessageSize: 1024 * 1024 },
    ]);
  });

  it('GATEWORKER_GATEWAY_LISTEN_<i>_<KEY> sets one listener key, after the list whatever the env order', () => {
    const env = {
      GATEWORKER_GATEWAY_LISTEN_1_FRAMING: 'line',
      GATEWORKER_GATEWAY_LISTEN_1_MAX_CONNECTIONS_PER_IP: '3',
      GATEWORKER_GATEWAY_LISTEN: 'ws://127.0.0.1:8000/,tcp://127.0.0.1:8001',
    };
    const { config } = loadConfig({ file: FILE, env });
    expect(config.gateway?.listen[1]).toEqual({ url: 'tcp://127.0.0.1:8001', framing: 'line', maxMessageSize: 1024 * 1024, maxConnectionsPerIp: 3 });
  });

  it("--set 'gateway.listen[1].framing=line' and a new listener by index", () => {
    const { config } = configFor('start', {
      config: FILE,
      set: ['gateway.listen[1].framing=line', 'gateway.listen[2].url=tcp://127.0.0.1:9000', 'gateway.listen[2].maxMessageSize=4KiB'],
    });
    expect(config.gateway?.listen[1]?.framing).toBe('line');
    expect(config.gateway?.listen[2]).toEqual({ url: 'tcp://127.0.0.1:9000', maxMessageSize: 4096 });
  });

  it('a bad listener value names the key and the variable or flag', () => {
    const env = failure(() => loadConfig({ file: FILE, env: { GATEWORKER_GATEWAY_LISTEN_1_FRAMING: 'zigzag' } }));
    expect(env.key).toBe('gateway.listen[1].framing');
    expect(env.message).toContain('env GATEWORKER_GATEWAY_LISTEN_1_FRAMING');
    const flag = failure(() => configFor('start', { config: FILE, set: ['gateway.listen[0].maxConnections=many'] }));
    expect(flag.message).toContain('gateway.listen[0].maxConnections');
    const missingUrl = failure(() => configFor('start', { config: FILE, set: ['gateway.listen[5].framing=line'] }));
    expect(missingUrl.message).toBe(
      'flag --set gateway.listen[5].framing: gateway.listen[5].framing: there are 2 listeners; a new one takes index 2',
    );
    const unknown = failure(() => configFor('start', { config: FILE, set: ['gateway.listen[0].colour=red'] }));
    expect(unknown.key).toBe('gateway.listen[0].colour');
    expect(failure(() => loadConfig({ file: FILE, env: { GATEWORKER_GATEWAY_LISTEN_0_COLOUR: 'red' } })).key).toBe(
      'GATEWORKER_GATEWAY_LISTEN_0_COLOUR',
    );
  });
});
