import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { freePorts } from './cluster.js';

/**
 * A real RabbitMQ node for a test file, isolated from anything else on the machine: a unique node
 * name, free AMQP and distribution ports, its own epmd on a free port (ERL_EPMD_PORT, so no shared
 * epmd is started or needed), and a temp dir holding HOME (the Erlang cookie), data, logs, the
 * config file and an empty plugin list. It starts slowly (seconds to tens of seconds on a loaded
 * machine), so a file shares one. The node runs in its own process group, killed by that pid.
 */
export interface RabbitServer {
  readonly port: number;
  readonly url: string;
  /** SIGKILL (an outage); `start()` brings it back on the same port with the same data dir. */
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 120_000;

function alive(p: ChildProcess | null): p is ChildProcess {
  return p !== null && p.exitCode === null && p.signalCode === null;
}

/** Connects until the broker answers (readiness = an AMQP connection succeeds). */
async function waitReady(url: string, node: () => ChildProcess | null, log: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (!alive(node())) throw new Error(`rabbitmq-server exited while starting: ${log().slice(-2000)}`);
    try {
      const c = await connect(url);
      await c.close();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`rabbitmq-server not ready within ${READY_TIMEOUT_MS} ms: ${log().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 250)); // polling interval of the readiness probe
    }
  }
}

export async function startRabbit(): Promise<RabbitServer> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-rabbit-'));
  const [port, distPort, epmdPort] = (await freePorts(3)) as [number, number, number];
  const nodeName = `gwtest${process.pid}x${Math.floor(Math.random() * 1e9)}@localhost`;
  writeFileSync(join(dir, 'rabbitmq.conf'), `listeners.tcp.default = 127.0.0.1:${port}\ndisk_free_limit.absolute = 1MB\nloopback_users = none\n`);
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  writeFileSync(join(dir, 'rabbitmq-env.conf'), '');
  mkdirSync(join(dir, 'home'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: join(dir, 'home'),
    ERL_EPMD_PORT: String(epmdPort),
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_LOGS: '-',
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_PID_FILE: join(dir, 'rabbit.pid'),
  };
  const url = `amqp://guest:guest@127.0.0.1:${port}`;
  let epmd: ChildProcess | null = null;
  let node: ChildProcess | null = null;
  let output = '';

  const startEpmd = () => {
    epmd = spawn('epmd', ['-port', String(epmdPort), '-address', '127.0.0.1'], { env, stdio: 'ignore' });
  };

  const start = async (): Promise<void> => {
    output = '';
    // The Debian wrapper (/usr/sbin/rabbitmq-server) switches to the rabbitmq user; the real script runs as us.
    const child = spawn('/usr/lib/rabbitmq/bin/rabbitmq-server', [], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    node = child;
    child.stdout.setEncoding('utf8').on('data', (c: string) => (output = (output + c).slice(-20_000)));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (output = (output + c).slice(-20_000)));
    await waitReady(
      url,
      () => node,
      () => output,
    );
  };

  const kill = async (): Promise<void> => {
    const child = node;
    node = null;
    if (!alive(child)) return;
    const exited = new Promise((r) => child.once('exit', r));
    try {
      process.kill(-(child.pid as number), 'SIGKILL'); // the script, the Erlang VM and its helpers
    } catch {
      /* already gone */
    }
    await exited;
  };

  const stop = async (): Promise<void> => {
    await kill();
    if (alive(epmd)) epmd.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };

  startEpmd();
  try {
    await start();
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, url, kill, start, stop };
}

/** A publisher as an application would be: one connection, one channel. */
export interface AmqpPublisher {
  channel: Channel;
  /** Publishes `body` with routing key `keys[0]` and the rest in the CC header. */
  publish(exchange: string, keys: string[], body: string | Buffer): void;
  close(): Promise<void>;
}

export async function amqpPublisher(url: string): Promise<AmqpPublisher> {
  const model: ChannelModel = await connect(url);
  // A broker killed under it (the outage tests) must not become an uncaught 'error'.
  model.on('error', () => {});
  const channel = await model.createChannel();
  channel.on('error', () => {});
  return {
    channel,
    publish: (exchange, keys, body) => {
      const [first = '', ...cc] = keys;
      channel.publish(exchange, first, Buffer.isBuffer(body) ? body : Buffer.from(body), cc.length > 0 ? { CC: cc } : {});
    },
    close: () => model.close().catch(() => {}),
  };
}
