import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../bin/src/config/errors.js';
import { applyLive, diffConfig } from '../../bin/src/config/live.js';
import { loadConfig } from '../../bin/src/config/load.js';
import { TempFiles } from '../helpers/temp-files.js';

const files = new TempFiles('gw-layers-');
afterAll(() => files.remove());

const file = (text: string): string => files.write(text);

const BASE = `register: { listen: 127.0.0.1:1236 }
gateway:
  listen: [{ url: 'ws://127.0.0.1:7272/' }]
  routing: sticky
  pendingEvents: { max: 100 }
worker: { handler: ./app.js, processes: 2 }
app: { greeting: file, colour: blue }
`;
const CENTRE = 'etcd http://127.0.0.1:2379 key /gw/config';

describe('config layers: centre > flags > env > file > defaults', () => {
  it('the centre wins per key; keys it does not set keep the lower layers', () => {
    const { config } = loadConfig({
      file: file(BASE),
      env: { GATEWORKER_GATEWAY_ROUTING: 'random', GATEWORKER_GATEWAY_PENDING_EVENTS_MAX: '200' },
      flags: [{ key: 'gateway.routing', value: 'least-busy', source: 'flag --set gateway.routing' }],
      centre: { text: 'app:\n  greeting: centre\ngateway:\n  pendingEvents: { max: 300 }\n', origin: CENTRE },
    });
    expect(config.app).toEqual({ greeting: 'centre', colour: 'blue' });
    expect(config.gateway?.routing).toBe('least-busy'); // flag over env; the centre does not set it
    expect(config.gateway?.pendingEvents.max).toBe(300); // centre over env
    expect(config.worker?.processes).toBe(2);
  });

  it('names the key and its line in the centre document when the centre makes the config invalid', () => {
    const err = (() => {
      try {
        loadConfig({ file: file(BASE), env: {}, centre: { text: 'app: {}\ngateway:\n  routing: sideways\n', origin: CENTRE } });
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).key).toBe('gateway.routing');
    expect((err as ConfigError).message).toContain(`${CENTRE}:3:12`);
  });

  it('refuses a centre document that tries to move the centre', () => {
    expect(() => loadConfig({ file: file(BASE), env: {}, centre: { text: 'config:\n  watch: false\n', origin: CENTRE } })).toThrow(
      /cannot set "config"/,
    );
  });

  it('classifies changed keys as live or restart-only, and applies only the live ones', () => {
    const path = file(BASE);
    const before = loadConfig({ file: path, env: {} }).config;
    const after = loadConfig({
      file: path,
      env: {},
      centre: {
        text: "app: { greeting: new }\ngateway:\n  routing: random\n  listen: [{ url: 'ws://127.0.0.1:9999/', maxConnections: 5 }]\nworker: { processes: 4 }\n",
        origin: CENTRE,
      },
    }).config;
    const diff = diffConfig(before, after);
    expect(diff.live.sort()).toEqual(['app.greeting', 'gateway.listen[0].maxConnections', 'gateway.routing', 'worker.processes']);
    expect(diff.restart).toEqual(['gateway.listen[0].url']);
    const running = applyLive(before, after, diff.live);
    expect(running.gateway?.listen[0]).toEqual({ url: 'ws://127.0.0.1:7272/', maxConnections: 5 });
    expect(running.app).toEqual({ greeting: 'new', colour: 'blue' });
    expect(running.worker?.processes).toBe(4);
  });
});
