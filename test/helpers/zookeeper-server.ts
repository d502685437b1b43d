import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from './cluster.js';

/**
 * A real ZooKeeper (Debian's `zookeeper` package, run with the system JVM) on a free loopback
 * port with a temporary data directory and every four-letter command enabled (`cons`, `ruok`).
 * `kill()` / `restart()` take it away and bring it back on the same port and data; `stop()` also
 * removes the directory. The JVM starts slowly (seconds): share one server per test file.
 */
export interface ZooKeeperServer {
  readonly servers: string;
  readonly port: number;
  kill(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** Sends a four-letter command (`ruok`, `cons`, `mntr`…) and returns the answer. */
  fourLetter(command: string): Promise<string>;
}

export const ZOOKEEPER_CLASSPATH = process.env['ZOOKEEPER_CLASSPATH'] ?? '/etc/zookeeper/conf:/usr/share/java/zookeeper.jar';

function fourLetter(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const s = connect(port, '127.0.0.1', () => s.write(command));
    s.setTimeout(2_000, () => s.destroy(new Error(`${command}: no answer`)));
    s.on('data', (c: Buffer) => (out += c.toString()));
    s.once('close', () => resolve(out));
    s.once('error', reject);
  });
}

export async function startZooKeeper(timeoutMs = 30_000): Promise<ZooKeeperServer> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-zk-'));
  mkdirSync(join(dir, 'data'));
  const [port] = (await freePorts(1)) as [number];
  const cfg = join(dir, 'zoo.cfg');
  writeFileSync(
    cfg,
    [
      'tickTime=500',
      `dataDir=${join(dir, 'data')}`,
      `clientPort=${port}`,
      'clientPortAddress=127.0.0.1',
      'admin.enableServer=false',
      '4lw.commands.whitelist=*',
      'minSessionTimeout=1000',
      'maxSessionTimeout=30000',
    ].join('\n') + '\n',
  );
  let proc: ChildProcess | null = null;
  let log = '';
  const launch = async (): Promise<void> => {
    log = '';
    const p = spawn(
      'java',
      [`-Dzookeeper.log.dir=${dir}`, '-Xmx256m', '-cp', ZOOKEEPER_CLASSPATH, 'org.apache.zookeeper.server.quorum.QuorumPeerMain', cfg],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    p.stdout?.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
    p.stderr?.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
    proc = p;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (p.exitCode !== null) throw new Error(`zookeeper exited (${p.exitCode}) before it was ready:\n${log}`);
      if ((await fourLetter(port, 'ruok').catch(() => '')) === 'imok') return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`zookeeper did not answer ruok on ${port} within ${timeoutMs} ms:\n${log}`);
  };
  const kill = async (): Promise<void> => {
    const p = proc;
    proc = null;
    if (p === null || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  };
  await launch();
  return {
    servers: `127.0.0.1:${port}`,
    port,
    kill,
    restart: launch,
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
    fourLetter: (command) => fourLetter(port, command),
  };
}
