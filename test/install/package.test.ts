import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWs } from '../helpers/clients.js';
import { PACKAGE_NAMES, REPO, installedCopies, installOffline, packAll } from '../helpers/install.js';

/**
 * The product as a user gets it: `npm pack` of this checkout installed into a fresh application
 * (no registry), a TypeScript handler written there that imports from 'gateworker', type-checked
 * with tsc, started with `npx gateworker start -c app.yaml`, used over ws, stopped with
 * `npx gateworker stop`.
 */

const run = promisify(execFile);
const INSTALL_TIMEOUT_MS = 300_000;

const HANDLER = `
import { defineHandler, InvalidClientIdError, type ClusterApi } from 'gateworker';

// An interface (not a type alias) as the session type: defineHandler must accept it.
interface ChatSession {
  name: string;
  messages: number;
}

async function storedMessages(api: ClusterApi<ChatSession>, id: string): Promise<number> {
  const session: ChatSession | null = await api.getSession(id);
  return session?.messages ?? -1;
}

export default defineHandler<ChatSession>({
  onConnect(client) {
    client.session.name = 'anonymous';
    client.session.messages = 0;
  },
  async onMessage(client, message) {
    const text = String(message);
    if (text === 'check instanceof') {
      const err: unknown = await client.gateway.sendToClient('not-a-client-id', 'x').then(() => null, (e: unknown) => e);
      client.send(\`instanceof=\${err instanceof InvalidClientIdError} name=\${(err as Error | null)?.name}\`);
      return;
    }
    if (text === 'stored') {
      client.send(\`stored=\${await storedMessages(client.gateway, client.id)}\`);
      return;
    }
    client.session.messages += 1;
    client.send(\`echo:\${text}\`);
  },
});
`;

const TSCONFIG = (typeRoots: string) => ({
  compilerOptions: {
    target: 'ES2023',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    typeRoots: [typeRoots],
    types: ['node'],
  },
  files: ['app.ts'],
});

let root: string;
let app: string;
let started: ChildProcess | null = null;
const pids = new Set<number>();

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'gw-install-'));
  app = join(root, 'app');
  mkdirSync(app);
  mkdirSync(join(root, 'tarballs'));
  const tarballs = await packAll(join(root, 'tarballs'));
  expect(Object.keys(tarballs).sort()).toEqual(PACKAGE_NAMES);
  await installOffline(app, tarballs);
  writeFileSync(join(app, 'app.ts'), HANDLER);
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(TSCONFIG(join(REPO, 'node_modules/@types')), null, 2));
}, INSTALL_TIMEOUT_MS);

afterAll(() => {
  if (started !== null && started.exitCode === null) started.kill('SIGKILL');
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  rmSync(root, { recursive: true, force: true });
});

describe('npm install gateworker (packed tarballs, offline)', () => {
  it('installs the command, the API, LICENSE and CHANGELOG, with one copy of each part', () => {
    expect(existsSync(join(app, 'node_modules/.bin/gateworker'))).toBe(true);
    for (const file of [
      'bin/dist/main.js',
      'bin/dist/index.js',
      'bin/dist/index.d.ts',
      'bin/echo-handler.js',
      'LICENSE',
      'CHANGELOG.md',
      'README.md',
    ]) {
      expect(existsSync(join(app, 'node_modules/gateworker', file)), file).toBe(true);
    }
    for (const part of PACKAGE_NAMES.filter((n) => n !== 'gateworker')) {
      expect(installedCopies(app, part), part).toHaveLength(1);
      expect(existsSync(join(app, `node_modules/${part}/LICENSE`)), part).toBe(true);
    }
  });

  it('type-checks a TypeScript handler with an interface session against the installed types', async () => {
    const tsc = join(REPO, 'node_modules/typescript/bin/tsc');
    const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: app }).then(
      (r) => ({ code: 0, out: r.stdout }),
      (err: unknown) => ({ code: (err as { code: number }).code, out: (err as { stdout: string }).stdout }),
    );
    expect(result.out).toBe('');
    expect(result.code).toBe(0);
  }, 180_000); // a cold tsc run over the installed packages: slow on a loaded machine

  it('`npx gateworker start -c app.yaml` runs app.ts as is: echo over ws, one runtime (instanceof holds), `npx gateworker stop`', async () => {
    // Every address on port 0: the bound ones are in the "cluster ready" line.
    writeFileSync(
      join(app, 'app.yaml'),
      [
        'secret: install-test',
        'register: { listen: 127.0.0.1:0 }',
        'gateway:',
        '  listen: [{ url: ws://127.0.0.1:0/ }]',
        '  internal: 127.0.0.1:0',
        'worker: { processes: 1, handler: ./app.ts }',
        '',
      ].join('\n'),
    );
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      GATEWORKER_RUN_DIR: join(root, 'run'),
      npm_config_offline: 'true',
      npm_config_update_notifier: 'false',
    };
    for (const k of Object.keys(env)) if (k.startsWith('GATEWORKER_') && k !== 'GATEWORKER_RUN_DIR') delete env[k];

    started = spawn('npx', ['gateworker', 'start', '-c', 'app.yaml'], { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => started!.once('exit', (code) => resolve(code)));
    let stdout = '';
    let stderr = '';
    started.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const ready = new Promise<{ addresses: { gateways: { listen: string[] }[] } }>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no "cluster ready" within 60 s; stdout: ${stdout.slice(-3000)} stderr: ${stderr.slice(-3000)}`)),
        60_000,
      );
      started!.stdout!.setEncoding('utf8').on('data', (c: string) => {
        stdout += c;
        for (const m of stdout.matchAll(/"pid":(\d+)/g)) pids.add(Number(m[1]));
        const line = /^(\{.*"msg":"cluster ready".*\})\n/m.exec(stdout)?.[1]; // a whole line
        if (line !== undefined) {
          clearTimeout(timer);
          resolve(JSON.parse(line) as { addresses: { gateways: { listen: string[] }[] } });
        }
      });
      void exited.then((code) => (clearTimeout(timer), reject(new Error(`gateworker start exited (${code}); stderr: ${stderr.slice(-3000)}`))));
    });
    const { addresses } = await ready;

    const ws = await connectWs(addresses.gateways[0]?.listen[0] ?? '');
    ws.send('hello');
    expect(await ws.next(10_000)).toBe('echo:hello');
    ws.send('stored');
    expect(await ws.next(10_000)).toBe('stored=1');
    ws.send('check instanceof');
    expect(await ws.next(10_000)).toBe('instanceof=true name=InvalidClientIdError');
    await ws.close();

    const stop = await run('npx', ['gateworker', 'stop', '-c', 'app.yaml'], { cwd: app, env, timeout: 60_000 });
    expect(stop.stdout).toContain('stopped');
    expect(await exited).toBe(0);
  }, 120_000);
});
