import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectWs } from '../helpers/clients.js';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { cliEnv, runCli } from '../helpers/cli.js';

/**
 * Issue 9 item 7: children get their configuration over IPC, never in the environment, so neither
 * /proc/<pid>/environ nor anything a handler spawns shows the secret (or any GATEWORKER_* setting).
 */

const HANDLER = `
import { execFileSync } from 'node:child_process';
export default {
  onMessage(client, message) {
    if (message === 'env') client.send(execFileSync('env', { encoding: 'utf8' }));
    else if (message === 'pid') client.send(String(process.pid));
    else client.send(message);
  },
};
`;

let cluster: Cluster | null = null;
afterEach(async () => {
  await cluster?.stop();
  cluster = null;
});

describe('secrets stay secret', () => {
  it('no child carries the secret in its environment; a handler spawning `env` sees neither it nor any GATEWORKER_ variable', async () => {
    const secret = `s3cret-${Math.random().toString(36).slice(2)}-0123456789`;
    cluster = await startCluster({
      gateways: 2,
      workers: 2,
      handler: HANDLER,
      secret,
      secretInFile: true,
      env: { GATEWORKER_NODE_ID: 'secret-test' },
    });
    const client = await connectWs(cluster.wsUrl);
    // The links authenticated with the secret from the file: messages flow.
    client.send('hello');
    expect(await client.next()).toBe('hello');
    client.send('env');
    const env = await client.next();
    expect(env).toContain('PATH=');
    expect(env).not.toContain(secret);
    expect(env).not.toContain('GATEWORKER_');

    const ready = await cluster.waitForLog((l) => l.msg === 'cluster ready');
    const children = (ready['children'] as { role: string; pid: number }[]).map((c) => c.pid);
    expect(children.length).toBe(5);
    for (const pid of [cluster.pid, ...children]) {
      const environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
      expect(environ).not.toContain(secret);
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
      expect(cmdline).not.toContain(secret);
    }
    for (const pid of children) expect(readFileSync(`/proc/${pid}/environ`, 'latin1')).not.toContain('GATEWORKER_');
    await client.close();
  }, 60_000);

  it('`--secret` on the command line warns that other users can see it; a weak secret off loopback exits 2 naming the key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-secret-cli-'));
    const env = cliEnv(dir);
    const run = (args: string[]) => runCli(args, { cwd: dir, env });
    try {
      const warned = await run(['stop', '--secret', 'a-long-enough-secret-1234']);
      expect(warned.stderr).toContain('--secret is visible to other users');
      const weak = await run(['start', '--set', 'register.listen=0.0.0.0:0', '--secret', '   ']);
      expect(weak.code).toBe(2);
      expect(weak.stderr).toContain('secret: must have at least 16 non-whitespace characters');
      expect(weak.stderr).toContain('register.listen (0.0.0.0:0)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
