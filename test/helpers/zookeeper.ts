import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from './cluster.js';

/** Debian's `zookeeper` package: the server jar (its manifest names the libraries it needs). */
export const ZOOKEEPER_CLASSPATH = process.env['ZOOKEEPER_CLASSPATH'] ?? '/usr/share/java/zookeeper.jar';
export const JAVA_BIN = process.env['JAVA_BIN'] ?? '/usr/bin/java';

/**
 * A real ZooKeeper (standalone) on a free port with a temporary data directory, started and
 * stopped by the test; four-letter commands on (`cons` counts sessions), the admin HTTP server
 * off. The JVM starts slowly: share one server per test file. `kill()` SIGKILLs it (an outage),
 * `restart()` brings it back on the same port and data.
 */
export interface ZookeeperServer {
  servers: string;
  clientPort: number;
  kill(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** Sends a four-letter command (e.g. `cons`, `ruok`) and returns the answer. */
  fourLetter(command: string): Promise<string>;
}

function fourLetter(port: number, command: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let out = '';
    const timer = setTimeout(() => (socket.destroy(), reject(new Error(`no answer to ${command} within ${timeoutMs} ms`))), timeoutMs);
    socket.on('connect', () => socket.write(command));
    socket.on('data', (c) => (out += c.toString()));
    socket.on('end', () => (clearTimeout(timer), resolve(out)));
    socket.on('error', (err) => (clearTimeout(timer), reject(err)));
  });
}

export async function startZookeeper(): Promise<ZookeeperServer> {
  const root = mkdtempSync(join(tmpdir(), 'gw-zk-'));
  const [clientPort] = (await freePorts(1)) as [number];
  const cfg = join(root, 'zoo.cfg');
  writeFileSync(
    cfg,
    [
      // tickTime 500 ms: sessions may be as short as 1 s (2 ticks), so tests can use short timeouts.
      'tickTime=500',
      `dataDir=${join(root, 'data')}`,
      `clientPort=${clientPort}`,
      'clientPortAddress=127.0.0.1',
      'maxClientCnxns=0',
      '4lw.commands.whitelist=cons,ruok,stat,srvr',
      'admin.enableServer=false',
      '',
    ].join('\n'),
  );
  writeFileSync(join(root, 'log4j.properties'), 'log4j.rootLogger=WARN, CONSOLE\nlog4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender\nlog4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout\n');
  let proc: ChildProcess | null = null;
  const launch = async (): Promise<void> => {
    let log = '';
    const p = spawn(
      JAVA_BIN,
      ['-Xms64m', '-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', `-Dlog4j.configuration=file:${join(root, 'log4j.properties')}`, '-cp', ZOOKEEPER_CLASSPATH, 'org.apache.zookeeper.server.quorum.QuorumPeerMain', cfg],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    p.stdout!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
    p.stderr!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
    proc = p;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (p.exitCode !== null) throw new Error(`ZooKeeper exited (${p.exitCode}): ${log}`);
      const ok = await fourLetter(clientPort, 'ruok', 1_000).catch(() => '');
      if (ok === 'imok') return;
      if (Date.now() > deadline) throw new Error(`ZooKeeper not ready within 60 s: ${log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const kill = async (): Promise<void> => {
    const p = proc;
    proc = null;
    if (p === null || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  };
  try {
    await launch();
  } catch (err) {
    await kill();
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  return {
    servers: `127.0.0.1:${clientPort}`,
    clientPort,
    kill,
    restart: async () => {
      await kill();
      await launch();
    },
    stop: async () => {
      await kill();
      rmSync(root, { recursive: true, force: true });
    },
    fourLetter: (command) => fourLetter(clientPort, command),
  };
}
