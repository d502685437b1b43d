import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectWs } from '../helpers/clients.js';
import { CLI, cliEnv, processAlive, runCli } from '../helpers/cli.js';
import { eventually } from '../helpers/wait.js';

/** `gateworker start -d`: detached, logging to a file that SIGUSR2 reopens; status, reload, logs and stop work against it. */

const dir = mkdtempSync(join(tmpdir(), 'gw-daemon-'));
const env = cliEnv(join(dir, 'run'));
const pids = new Set<number>();

afterAll(() => {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[], timeoutMs = 60_000) {
  return runCli(args, { cwd: dir, env, timeoutMs });
}

describe('daemon mode', () => {
  it('start -d returns once ready; the cluster serves; logs, status, reload, SIGUSR2 reopen and stop work', async () => {
    writeFileSync(join(dir, 'app.mjs'), 'export default { onMessage(c, m) { c.send(m); } };\n');
    const config = join(dir, 'gateworker.yaml');
    writeFileSync(
      config,
      'register: { listen: 127.0.0.1:0 }\ngateway:\n  listen: [{ url: ws://127.0.0.1:0/ }]\n  internal: 127.0.0.1:0\nworker: { processes: 1, handler: ./app.mjs }\n',
    );
    const logFile = join(dir, 'run', 'gateworker.log');

    const started = await cli(['start', '-d', '-c', config]);
    expect(started.stderr).toBe('');
    expect(started.stdout).toContain(`logs: ${logFile}`);
    expect(started.code).toBe(0);
    const supervisor = Number(/pid (\d+)/.exec(started.stdout)?.[1]);
    pids.add(supervisor);
    for (const m of readFileSync(logFile, 'utf8').matchAll(/"pid":(\d+)/g)) pids.add(Number(m[1]));
    expect(processAlive(supervisor)).toBe(true);

    // Every address on port 0: the bound ones are in the "cluster ready" line of the log file.
    const ready = readFileSync(logFile, 'utf8')
      .split('\n')
      .map((l) => (l.includes('"msg":"cluster ready"') ? (JSON.parse(l) as { addresses: { gateways: { listen: string[] }[] } }) : null))
      .find((l) => l !== null);
    const client = await connectWs(ready?.addresses.gateways[0]?.listen[0] ?? '');
    client.send('hello');
    expect(await client.next()).toBe('hello');
    await client.close();

    const logs = await cli(['logs', '-c', config]);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain('"msg":"cluster ready"');
    expect((await cli(['status', '-c', config])).code).toBe(0);

    // `logs -f` follows: it prints what is there, then new lines, also from the file that replaces a rotated one.
    const follow = spawn(process.execPath, [CLI, 'logs', '-f', '-c', config], { cwd: dir, env, stdio: ['ignore', 'pipe', 'ignore'] });
    if (follow.pid !== undefined) pids.add(follow.pid);
    let followed = '';
    follow.stdout.setEncoding('utf8').on('data', (c: string) => (followed += c));
    await eventually(() => followed.includes('"msg":"cluster ready"'), 10_000);

    // logrotate: move the file away, SIGUSR2; what is logged next goes to a new file of the same name.
    renameSync(logFile, `${logFile}.1`);
    process.kill(supervisor, 'SIGUSR2');
    await eventually(() => existsSync(logFile), 10_000);
    const reload = await cli(['reload', '-c', config]);
    expect(reload.code).toBe(0);
    await eventually(() => /"role":"supervisor".*"msg":"reloaded 1 worker/.test(readFileSync(logFile, 'utf8')), 10_000);
    await eventually(() => /"role":"worker".*"msg":"worker ready"/.test(readFileSync(logFile, 'utf8')), 10_000);
    expect(readFileSync(`${logFile}.1`, 'utf8')).not.toContain('reloaded');
    await eventually(() => followed.includes('"msg":"reloaded 1 worker'), 10_000);
    follow.kill('SIGTERM');

    const stop = await cli(['stop', '-c', config]);
    expect(stop.stdout).toContain('stopped');
    await eventually(() => !processAlive(supervisor), 20_000);
  }, 120_000);
});
