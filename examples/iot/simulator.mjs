#!/usr/bin/env node
// Simulated IoT devices for examples/iot: each one connects over TCP, says HELLO, sends telemetry
// every --interval ms, answers every "CMD <name> ..." with "ACK <name>", and after --duration
// seconds disconnects. Then a summary is printed and the process exits (1 if a device failed).
//
//   node examples/iot/simulator.mjs [--devices 50] [--host 127.0.0.1] [--port 7273]
//                                   [--interval 1000] [--duration 10] [--prefix dev]
//
// Device ids are <prefix>-0001, <prefix>-0002, ...; odd devices are of type "thermo", even ones
// of type "meter". Temperatures wander and sometimes spike above the handler's threshold (80),
// which makes the server send "CMD cool <target>"; a device that gets it drops to the target.
import net from 'node:net';
import { parseArgs } from 'node:util';

const USAGE = 'usage: node simulator.mjs [--devices 50] [--host 127.0.0.1] [--port 7273] [--interval 1000] [--duration 10] [--prefix dev]';

function fail(message) {
  console.error(`simulator: ${message}\n${USAGE}`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      devices: { type: 'string', default: '50' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '7273' },
      interval: { type: 'string', default: '1000' },
      duration: { type: 'string', default: '10' },
      prefix: { type: 'string', default: 'dev' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (err) {
  fail(err.message);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

function intFlag(name, min, max) {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < min || n > max) fail(`--${name} must be an integer from ${min} to ${max}`);
  return n;
}
// Bounded, so a typo cannot exhaust file descriptors or run forever.
const DEVICES = intFlag('devices', 1, 10_000);
const PORT = intFlag('port', 1, 65_535);
const INTERVAL = intFlag('interval', 10, 600_000);
const DURATION = intFlag('duration', 1, 3_600);
const HOST = values.host;
const PREFIX = values.prefix;
const CONNECT_BATCH = 100; // connections opened at a time
const CONNECT_TIMEOUT = 5_000;

const stats = {
  connected: 0,
  failed: 0,
  hello: 0, // "OK <id>" answers
  telemetry: 0,
  commands: 0,
  commandsByName: {},
  acks: 0,
  pongs: 0,
  errors: 0, // "ERR ..." lines from the server
  closedByServer: 0,
};
const errorSamples = new Set();

/** One device: a socket, a line reader, a telemetry timer. */
function startDevice(index) {
  const id = `${PREFIX}-${String(index + 1).padStart(4, '0')}`;
  const type = index % 2 === 0 ? 'thermo' : 'meter';
  let temp = 20 + Math.random() * 55;
  let timer = null;
  let buffered = '';
  let stopping = false;
  let connected = false;

  return new Promise((resolveConnected) => {
    const socket = net.connect({ host: HOST, port: PORT });
    socket.setEncoding('utf8');
    socket.setNoDelay(true);
    const connectTimer = setTimeout(() => socket.destroy(new Error('connect timeout')), CONNECT_TIMEOUT);

    const device = {
      id,
      stop() {
        stopping = true;
        clearInterval(timer);
        return new Promise((done) => {
          if (socket.destroyed) return done();
          socket.once('close', done);
          socket.end();
          setTimeout(() => socket.destroy(), 2_000).unref();
        });
      },
    };

    const send = (line) => {
      if (!socket.destroyed) socket.write(`${line}\n`);
    };

    const onLine = (line) => {
      const [verb, name] = line.split(' ', 2);
      if (verb === 'CMD' && name) {
        stats.commands += 1;
        stats.commandsByName[name] = (stats.commandsByName[name] ?? 0) + 1;
        if (name === 'cool') {
          const target = Number(line.split(' ')[2]);
          if (Number.isFinite(target)) temp = target;
        }
        send(`ACK ${name}`);
        stats.acks += 1;
      } else if (verb === 'OK') {
        stats.hello += 1;
      } else if (verb === 'PONG') {
        stats.pongs += 1;
      } else if (verb === 'ERR') {
        stats.errors += 1;
        if (errorSamples.size < 5) errorSamples.add(`${id}: ${line}`);
      }
    };

    socket.on('connect', () => {
      clearTimeout(connectTimer);
      connected = true;
      stats.connected += 1;
      send(`HELLO ${id} ${type}`);
      // Spread the devices' ticks over one interval instead of all at once.
      setTimeout(() => {
        if (stopping) return;
        timer = setInterval(() => {
          // A random walk with rare spikes, so some devices cross the threshold.
          temp += (Math.random() - 0.45) * 3 + (Math.random() < 0.03 ? 15 : 0);
          temp = Math.max(-20, Math.min(120, temp));
          send(`T ${JSON.stringify({ temp: Math.round(temp * 10) / 10, hum: Math.round(30 + Math.random() * 40), ts: Date.now() })}`);
          stats.telemetry += 1;
        }, INTERVAL);
      }, Math.random() * INTERVAL);
      resolveConnected(device);
    });

    socket.on('data', (chunk) => {
      buffered += chunk;
      let nl;
      while ((nl = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, nl).replace(/\r$/, '');
        buffered = buffered.slice(nl + 1);
        if (line !== '') onLine(line);
      }
      if (buffered.length > 65_536) socket.destroy(new Error('server line too long'));
    });

    socket.on('error', (err) => {
      if (!stopping && errorSamples.size < 5) errorSamples.add(`${id}: ${err.message}`);
    });

    socket.on('close', () => {
      clearTimeout(connectTimer);
      clearInterval(timer);
      if (connected && !stopping) stats.closedByServer += 1;
      if (!connected) {
        stats.failed += 1;
        resolveConnected(null);
      }
    });
  });
}

async function main() {
  const started = Date.now();
  console.log(`simulator: ${DEVICES} devices -> ${HOST}:${PORT}, telemetry every ${INTERVAL} ms for ${DURATION} s`);

  const devices = [];
  for (let i = 0; i < DEVICES; i += CONNECT_BATCH) {
    const batch = [];
    for (let j = i; j < Math.min(DEVICES, i + CONNECT_BATCH); j++) batch.push(startDevice(j));
    devices.push(...(await Promise.all(batch)).filter((d) => d !== null));
  }
  console.log(`simulator: ${stats.connected} connected, ${stats.failed} failed (${Date.now() - started} ms)`);

  let interrupted = false;
  await new Promise((resolve) => {
    const t = setTimeout(resolve, devices.length === 0 ? 0 : DURATION * 1000);
    process.once('SIGINT', () => {
      interrupted = true;
      clearTimeout(t);
      resolve();
    });
  });
  // Give in-flight commands a moment to arrive and be acknowledged.
  await new Promise((r) => setTimeout(r, Math.min(500, INTERVAL)));
  await Promise.all(devices.map((d) => d.stop()));

  const summary = { ...stats, seconds: Math.round((Date.now() - started) / 100) / 10, interrupted };
  console.log('simulator: summary');
  console.table({
    devices: DEVICES,
    connected: stats.connected,
    failed: stats.failed,
    'hello answered': stats.hello,
    'telemetry sent': stats.telemetry,
    'commands received': stats.commands,
    'acks sent': stats.acks,
    'server errors': stats.errors,
    'closed by server': stats.closedByServer,
  });
  if (stats.commands > 0) console.log('commands by name:', stats.commandsByName);
  if (errorSamples.size > 0) console.log('examples of errors:', [...errorSamples]);
  console.log(JSON.stringify(summary));
  process.exit(stats.failed > 0 || stats.closedByServer > 0 || stats.hello < stats.connected ? 1 : 0);
}

main().catch((err) => {
  console.error('simulator:', err);
  process.exit(1);
});
