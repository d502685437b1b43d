import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runDirFor } from '../../bin/src/supervisor/run-dir.js';
import { connectWs } from '../helpers/clients.js';
import { runCli } from '../helpers/cli.js';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { eachLine } from '../helpers/log-follower.js';

/**
 * Issue 9 item 6: the control channel of `gateworker start` is private (run directory 0700 under
 * $XDG_RUNTIME_DIR or a per-user directory, socket and token 0600, removed on stop) and
 * authenticated both ways (a request without the token is refused; an answer that does not prove
 * the token is reported as a fake, never taken for "stopped").
 */

const ECHO = `export default { onMessage(client, message) { client.send(message); } };\n`;

function run(args: string[], env: NodeJS.ProcessEnv, cwd = tmpdir()) {
  return runCli(args, { cwd, env });
}

/** Env without any GATEWORKER_* / XDG_RUNTIME_DIR of the machine running the tests. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('GATEWORKER_') || k === 'XDG_RUNTIME_DIR') delete env[k];
  return { ...env, ...extra };
}

/** One raw exchange on a control socket: sends `lines`, resolves with every line received until the end. */
function rawExchange(path: string, lines: (greeting: Record<string, unknown>) => string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    const got: string[] = [];
    const timer = setTimeout(() => (socket.destroy(), reject(new Error('no end of the control connection within 5 s'))), 5_000);
    eachLine(socket, (line) => {
      if (got.length === 0) for (const l of lines(JSON.parse(line) as Record<string, unknown>)) socket.write(l + '\n');
      got.push(line);
    });
    socket.on('end', () => (clearTimeout(timer), resolve(got)));
    socket.on('error', (err) => (clearTimeout(timer), reject(err)));
  });
}

const cleanups: (() => Promise<void> | void)[] = [];
let cluster: Cluster | null = null;
afterEach(async () => {
  await cluster?.stop();
  cluster = null;
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('control channel: private and authenticated', () => {
  it('lives in a 0700 run directory under $XDG_RUNTIME_DIR with a 0600 socket and token; refuses requests without the token; is removed on stop', async () => {
    const xdg = tempDir('gw-xdg-');
    cluster = await startCluster({ gateways: 1, workers: 1, handler: ECHO, runDirInTempDir: false, env: { XDG_RUNTIME_DIR: xdg } });
    const runDir = runDirFor(cluster.configFile, { XDG_RUNTIME_DIR: xdg });
    expect(readdirSync(xdg)).toEqual([runDir.slice(xdg.length + 1)]);
    expect(statSync(runDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(runDir, 'control.sock')).mode & 0o777).toBe(0o600);
    expect(statSync(join(runDir, 'token')).mode & 0o777).toBe(0o600);

    // The old unauthenticated request, and one with a made-up proof: both refused.
    const sock = join(runDir, 'control.sock');
    const plain = await rawExchange(sock, () => ['{"cmd":"stop"}']);
    expect(JSON.parse(plain[1] ?? '{}')).toHaveProperty('refused');
    const forged = await rawExchange(sock, () => [JSON.stringify({ nonce: 'ab', body: '{"cmd":"stop"}', proof: '0'.repeat(64) })]);
    expect(JSON.parse(forged[1] ?? '{}').refused).toContain('does not prove the token');
    const client = await connectWs(cluster.wsUrl);
    client.send('still here');
    expect(await client.next()).toBe('still here');
    await client.close();

    const stop = await cluster.cli(['stop']);
    expect(stop.stdout).toContain('stopped');
    expect(stop.code).toBe(0);
    expect(readdirSync(xdg)).toEqual([]);
  }, 60_000);

  it('`stop` against a fake socket in the run directory reports the fake and does not print "stopped"', async () => {
    const runDir = tempDir('gw-fake-');
    writeFileSync(join(runDir, 'token'), randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
    const env = cleanEnv({ GATEWORKER_RUN_DIR: runDir });
    const fakes: ((socket: Socket) => void)[] = [
      // Speaks the protocol but cannot prove the token.
      (socket) => {
        socket.write(JSON.stringify({ gateworker: 'control', v: 1, nonce: 'ff'.repeat(16) }) + '\n');
        socket.once('data', () => socket.end(JSON.stringify({ body: '{"ok":true,"message":"stopped"}', proof: '0'.repeat(64) }) + '\n'));
      },
      // Answers like the old unauthenticated channel.
      (socket) => socket.end('{"ok":true,"message":"stopped"}'),
    ];
    for (const fake of fakes) {
      const server: Server = createServer((socket) => {
        socket.on('error', () => {});
        fake(socket);
      });
      await new Promise<void>((resolve) => server.listen(join(runDir, 'control.sock'), resolve));
      try {
        const r = await run(['stop'], env);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain("is not from this cluster's `gateworker start`");
        expect(r.stdout).not.toContain('stopped');
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    }
  }, 60_000);

  it('refuses a run directory that is not private (writable by others) and a symbolic link', async () => {
    const base = tempDir('gw-open-');
    const open = join(base, 'run');
    const env = cleanEnv({ GATEWORKER_RUN_DIR: open });
    // Made with mode 0777 by us: refused by `start` and by `stop`.
    mkdirSync(open);
    chmodSync(open, 0o777);
    const config = join(base, 'gateworker.yaml');
    writeFileSync(config, 'register:\n  listen: 127.0.0.1:0\n');
    const start = await run(['start', '-c', config], env);
    expect(start.code).toBe(1);
    expect(start.stderr).toContain('refusing the run directory');
    expect(start.stderr).toContain('writable by group or others');
    const stop = await run(['stop', '-c', config], env);
    expect(stop.code).toBe(1);
    expect(stop.stderr).toContain('refusing the run directory');
    const link = join(base, 'link');
    symlinkSync(open, link);
    const viaLink = await run(['start', '-c', config], cleanEnv({ GATEWORKER_RUN_DIR: link }));
    expect(viaLink.code).toBe(1);
    expect(viaLink.stderr).toContain('is a symbolic link');
  }, 60_000);

  it.skipIf(process.getuid?.() !== 0)(
    'a run directory pre-created by another user (setpriv) is refused by `start`, and `stop` never talks to the fake socket in it',
    async () => {
      // A /tmp of our own (sticky, world-writable like /tmp) with no XDG_RUNTIME_DIR: the per-user
      // directory is <tmp>/gateworker-0; user 65534 creates it first, 0777, with a fake socket.
      const tmp = tempDir('gw-squat-');
      chmodSync(tmp, 0o1777);
      const configDir = tempDir('gw-squat-config-');
      const config = join(configDir, 'gateworker.yaml');
      writeFileSync(config, 'register:\n  listen: 127.0.0.1:0\n');
      const runDir = runDirFor(config, { TMPDIR: tmp });
      expect(runDir).toBe(join(tmp, 'gateworker-0', runDir.split('/').pop() as string));
      const squatter = `
      const fs = require('node:fs'); const net = require('node:net'); const path = require('node:path');
      process.umask(0);
      const dir = ${JSON.stringify(runDir)};
      fs.mkdirSync(path.dirname(dir), { mode: 0o777 }); fs.mkdirSync(dir, { mode: 0o777 });
      fs.writeFileSync(path.join(dir, 'token'), 'ab'.repeat(32) + '\\n', { mode: 0o666 });
      net.createServer((s) => { console.log('connection'); s.end('{"ok":true,"message":"stopped"}'); })
        .listen(path.join(dir, 'control.sock'), () => { fs.chmodSync(path.join(dir, 'control.sock'), 0o777); console.log('listening'); });
    `;
      const fake: ChildProcess = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', squatter], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      cleanups.push(() => {
        fake.kill('SIGKILL');
      });
      let fakeOut = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`squatter not listening within 10 s: ${fakeOut}`)), 10_000);
        fake.stdout!.setEncoding('utf8').on('data', (c: string) => {
          fakeOut += c;
          if (fakeOut.includes('listening')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      expect(statSync(join(tmp, 'gateworker-0')).uid).toBe(65534);
      const env = cleanEnv({ TMPDIR: tmp });

      const stop = await run(['stop', '-c', config], env);
      expect(stop.code).toBe(1);
      expect(stop.stderr).toContain('refusing the run directory');
      expect(stop.stderr).toContain('owned by uid 65534');
      expect(stop.stdout).not.toContain('stopped');

      const start = await run(['start', '-c', config], env);
      expect(start.code).toBe(1);
      expect(start.stderr).toContain('refusing the run directory');
      expect(start.stderr).toContain('owned by uid 65534');
      expect(fakeOut).not.toContain('connection');
    },
    60_000,
  );
});
