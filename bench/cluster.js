// Starts a gateworker cluster THROUGH THE CLI, as a user would: a temp dir with gateworker.yaml
// and the bench handler, `node bin/gateworker.js start -c <file>` with GATEWORKER_RUN_DIR=<tempdir>,
// ready when the supervisor logs {"msg":"cluster ready"} on stdout (JSON lines when not a TTY).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePortRange, track, untrack } from './lib/procs.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin', 'gateworker.js');
const HANDLER = fileURLToPath(new URL('./handler.js', import.meta.url));

/** Writes the bench handler with the given version string. */
export function writeHandler(file, version = 'v1') {
  writeFileSync(file, readFileSync(HANDLER, 'utf8').replace('__VERSION__', version));
}

function yamlOf({ ports, gateways, workers, logLevel, heartbeat, extraGateway, extraWorker, extraTop }) {
  return [
    `secret: bench-secret-${process.pid}`,
    `logLevel: ${logLevel}`,
    ...(ports.admin !== undefined ? [`admin:`, `  listen: 127.0.0.1:${ports.admin}`] : []),
    `register:`,
    `  listen: 127.0.0.1:${ports.register}`,
    `gateway:`,
    `  processes: ${gateways}`,
    `  listen:`,
    `    - url: ws://127.0.0.1:${ports.ws}/ws`,
    `      maxConnections: 200000`,
    `    - url: tcp://127.0.0.1:${ports.tcp}`,
    `      framing: line`,
    `      maxConnections: 200000`,
    `  internal: 127.0.0.1:${ports.internal}`,
    ...(heartbeat ? [`  heartbeat: { interval: ${heartbeat.interval}, timeout: ${heartbeat.timeout} }`] : []),
    ...extraGateway.map((l) => `  ${l}`),
    `worker:`,
    `  processes: ${workers}`,
    `  handler: ./handler.js`,
    ...extraWorker.map((l) => `  ${l}`),
    ...extraTop,
    '',
  ].join('\n');
}

function runCli(args, env, timeoutMs) {
  return new Promise((resolve) => {
    const started = Date.now();
    const p = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    track(p.pid, `gateworker ${args[0]}`);
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('exit', (code, signal) => {
      clearTimeout(t);
      untrack(p.pid);
      resolve({ code: code ?? signal, output: out.trim(), ms: Date.now() - started });
    });
  });
}

/**
 * @returns {Promise<{pid:number, dir:string, config:string, urls:{ws:string,tcp:string},
 *   children:{role:string,index:number,pid:number}[], gatewayPids:number[], workerPids:number[],
 *   reload():Promise<{code:any,output:string,ms:number}>, status():Promise<any>, stop():Promise<void>}>}
 */
export async function startCluster({
  gateways = 1,
  workers = 1,
  logLevel = 'info',
  version = 'v1',
  heartbeat = null,
  extraGateway = [],
  extraWorker = [],
  /** Extra top-level YAML lines (e.g. a `bus:` section). */
  extraTop = [],
  readyTimeoutMs = 60_000,
  nodeOptions = '',
  admin = false,
} = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'gateworker-bench-'));
  // register, ws, tcp, then `gateways` internal ports (process k uses internal + k)
  // (and the admin endpoint after them, when asked for)
  const base = await freePortRange(3 + gateways + (admin ? 1 : 0));
  const ports = { register: base, ws: base + 1, tcp: base + 2, internal: base + 3, ...(admin && { admin: base + 3 + gateways }) };
  const config = join(dir, 'gateworker.yaml');
  writeFileSync(config, yamlOf({ ports, gateways, workers, logLevel, heartbeat, extraGateway, extraWorker, extraTop }));
  writeHandler(join(dir, 'handler.js'), version);
  // the config file is the whole truth: no inherited GATEWORKER_* override may change it
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEWORKER_')));
  env.GATEWORKER_RUN_DIR = dir;
  if (nodeOptions) env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} ${nodeOptions}`.trim();
  const child = spawn(process.execPath, [CLI, 'start', '-c', config], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  track(child.pid, 'gateworker start', { group: true });
  const exited = new Promise((r) => child.once('exit', (code, signal) => r(code ?? signal)));
  const tail = [];
  const remember = (line) => {
    tail.push(line);
    if (tail.length > 40) tail.shift();
  };
  let readyLine = null;
  let onLine = () => {};
  let buf = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      remember(line);
      onLine(line);
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => remember(d.trimEnd()));

  try {
    readyLine = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`cluster not ready within ${readyTimeoutMs} ms`)), readyTimeoutMs);
      onLine = (line) => {
        let j;
        try {
          j = JSON.parse(line);
        } catch {
          return;
        }
        if (j.msg === 'cluster ready') {
          clearTimeout(timer);
          resolve(j);
        } else if (j.msg === 'the cluster failed to start') {
          clearTimeout(timer);
          reject(new Error(`cluster failed to start: ${j.err}`));
        }
      };
      exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`gateworker start exited (${code}) before 'cluster ready'`));
      });
    });
  } catch (err) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
    untrack(child.pid);
    rmSync(dir, { recursive: true, force: true });
    err.message += `\n--- gateworker output (tail) ---\n${tail.join('\n')}`;
    throw err;
  }
  onLine = () => {};
  const children = readyLine.children ?? [];
  let stopped = null;
  const cluster = {
    pid: child.pid,
    dir,
    config,
    ports,
    /** The internal secret of this cluster (GatewayClient needs it). */
    secret: `bench-secret-${process.pid}`,
    urls: { ws: `ws://127.0.0.1:${ports.ws}/ws`, tcp: `tcp://127.0.0.1:${ports.tcp}`, ...(admin && { admin: `http://127.0.0.1:${ports.admin}/` }) },
    children,
    gatewayPids: children.filter((c) => c.role === 'gateway').map((c) => c.pid),
    workerPids: children.filter((c) => c.role === 'worker').map((c) => c.pid),
    tail,
    /** Rewrites the handler with a new version string (for reload). */
    writeHandler: (v) => writeHandler(join(dir, 'handler.js'), v),
    /** `gateworker reload -c <file>`; resolves with its exit code, output and duration. */
    reload: (timeoutMs = 120_000) => runCli(['reload', '-c', config], env, timeoutMs),
    /** `gateworker status -c <file> --json`, parsed (null on failure). */
    async status() {
      const r = await runCli(['status', '-c', config, '--json'], env, 20_000);
      try {
        return JSON.parse(r.output);
      } catch {
        return null;
      }
    },
    /** SIGTERM, wait for exit (SIGKILL to the whole process group after `graceMs`). */
    stop(graceMs = 20_000) {
      stopped ??= (async () => {
        try {
          process.kill(child.pid, 'SIGTERM');
        } catch {}
        const t = setTimeout(() => {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {}
        }, graceMs);
        const code = await exited;
        clearTimeout(t);
        // nothing of the cluster may survive its supervisor
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {}
        untrack(child.pid);
        rmSync(dir, { recursive: true, force: true });
        return code;
      })();
      return stopped;
    },
  };
  return cluster;
}
