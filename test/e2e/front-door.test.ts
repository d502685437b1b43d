import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cluster.js';
import { createNetns } from '../helpers/netns.js';
import { cliEnv } from '../helpers/cli.js';

/**
 * The README's first command: `npx gateworker start` with no config serves an echo handler on
 * ws://127.0.0.1:7272/ (register on 1236, internal 2900). Those are fixed ports: the test runs in a
 * private network namespace when it can, so whatever else holds them on this machine does not
 * matter; otherwise it moves the default to free ports through the environment.
 */

/** A ws client run as its own process (so it can run inside the namespace): prints what the server echoes. */
const ECHO_CLIENT = `
const WebSocket = require(${JSON.stringify(resolve(import.meta.dirname, '../../node_modules/ws/index.js'))});
const ws = new WebSocket(process.argv[1]);
ws.on('open', () => ws.send('hello'));
ws.on('message', (m) => { console.log(String(m)); ws.close(); });
ws.on('error', (e) => { console.error(e.message); process.exit(1); });
`;

function run(argv: string[], env: NodeJS.ProcessEnv, cwd: string) {
  const [cmd, ...args] = argv as [string, ...string[]];
  return spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('the front door: `npx gateworker start` with no config', () => {
  it('serves the echo default on ws://127.0.0.1:7272/ and stops on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-default-'));
    const netns = createNetns('gw-frontdoor');
    const env = cliEnv(dir);
    let url = 'ws://127.0.0.1:7272/';
    if (netns === null) {
      // No network namespace: every address on port 0; the banner names the bound URL.
      Object.assign(env, {
        GATEWORKER_REGISTER_LISTEN: '127.0.0.1:0',
        GATEWORKER_GATEWAY_LISTEN: 'ws://127.0.0.1:0/',
        GATEWORKER_GATEWAY_INTERNAL: '127.0.0.1:0',
      });
    }
    const wrap = (argv: string[]) => netns?.wrap(argv) ?? argv;
    const p = run(wrap([process.execPath, CLI, 'start']), env, dir);
    let out = '';
    const exited = new Promise<number | null>((resolve) => p.once('exit', (code) => resolve(code)));
    try {
      await new Promise<void>((done, reject) => {
        const timer = setTimeout(() => reject(new Error(`no banner within 30 s:\n${out}`)), 30_000);
        p.stdout.setEncoding('utf8').on('data', (c: string) => {
          out += c;
          // the banner's last line
          if (out.includes('npx gateworker stop')) {
            clearTimeout(timer);
            done();
          }
        });
        void exited.then((code) => (clearTimeout(timer), reject(new Error(`gateworker start exited (${code}):\n${out}`))));
      });
      if (netns === null) {
        url = /an echo handler behind (\S+)/.exec(out)?.[1] ?? '';
        expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:[1-9]\d*\/$/);
      }
      expect(out).toContain(`an echo handler behind ${url}`);
      const client = run(wrap([process.execPath, '-e', ECHO_CLIENT, url]), env, dir);
      let echoed = '';
      let problem = '';
      client.stdout.setEncoding('utf8').on('data', (c: string) => (echoed += c));
      client.stderr.setEncoding('utf8').on('data', (c: string) => (problem += c));
      const clientExit = await new Promise<number | null>((resolve) => client.once('exit', resolve));
      expect(echoed.trim(), problem).toBe('hello');
      expect(clientExit).toBe(0);
      p.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      p.kill('SIGKILL');
      netns?.remove();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
