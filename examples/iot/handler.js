/**
 * gateworker IoT example: the handler module run by every worker process.
 *
 * Devices connect over raw TCP with line framing: every message is one line ending in "\n"
 * (a trailing "\r" is stripped by the gateway, and the gateway adds "\n" to what we send).
 * The device id is bound as the client's uid, so anyone with the cluster API can address a
 * device by id (`sendToUid`), and devices of one type share a group (`sendToGroup`).
 * Per-device state (last reading, counters) lives in `client.session`, held by the gateway:
 * workers stay stateless and can be redeployed while every device stays connected.
 *
 * Protocol
 *   device -> server
 *     HELLO <deviceId> [<type>]   first line; deviceId and type: 1-64 of [A-Za-z0-9_.:-]
 *     T <json>                    telemetry, a JSON object, e.g. T {"temp":71.5,"hum":40}
 *     ACK <name>                  the device executed command <name>
 *     PING                        keep-alive (answered with PONG)
 *   server -> device
 *     OK <deviceId>               answer to HELLO
 *     CMD <name> [<args>]         a command; the device answers ACK <name>
 *     PONG
 *     ERR <reason>                bad line (after a bad HELLO, or data before HELLO, the server closes)
 *
 * Rule: when a reading's "temp" goes above HIGH, the device gets "CMD cool <TARGET>" (once, until
 * the temperature has fallen below LOW again: hysteresis, so a device hovering at the threshold is
 * not flooded). Commands can also come from outside, see push.mjs.
 *
 * Session: { deviceId, type, helloAt, count, last: {…reading, at}, alarm, commands, acks, lastAck }
 */

const ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const HIGH = Number(process.env.IOT_TEMP_HIGH ?? 80);
const LOW = Number(process.env.IOT_TEMP_LOW ?? 70);
const TARGET = Number(process.env.IOT_TEMP_TARGET ?? 60);

let logger = null;

function hello(client, args) {
  const s = client.session;
  if (s.deviceId !== undefined) return client.send(`ERR already identified as ${s.deviceId}`);
  const [deviceId, type, extra] = args;
  if (deviceId === undefined || !ID.test(deviceId) || (type !== undefined && !ID.test(type)) || extra !== undefined) {
    return client.close('ERR usage: HELLO <deviceId> [<type>]');
  }
  // A device that reconnects before its old connection timed out gets a second client id with
  // the same uid; sendToUid reaches both until the old one is gone.
  client.bindUid(deviceId);
  if (type !== undefined) client.joinGroup(type);
  Object.assign(s, { deviceId, type: type ?? null, helloAt: Date.now(), count: 0, last: null, alarm: false, commands: 0, acks: 0, lastAck: null });
  client.send(`OK ${deviceId}`);
}

function telemetry(client, json) {
  let reading;
  try {
    reading = JSON.parse(json);
  } catch {
    return client.send('ERR telemetry is not JSON');
  }
  if (typeof reading !== 'object' || reading === null || Array.isArray(reading)) return client.send('ERR telemetry must be a JSON object');

  const s = client.session;
  s.count += 1;
  s.last = { ...reading, at: Date.now() };

  const temp = reading.temp;
  if (typeof temp !== 'number') return;
  if (!s.alarm && temp > HIGH) {
    s.alarm = true;
    s.commands += 1;
    client.send(`CMD cool ${TARGET}`);
    logger?.info({ device: s.deviceId, temp }, 'temperature above threshold: sent CMD cool');
  } else if (s.alarm && temp < LOW) {
    s.alarm = false;
  }
}

function ack(client, name) {
  const s = client.session;
  if (name === undefined) return client.send('ERR usage: ACK <name>');
  s.acks += 1;
  s.lastAck = { name, at: Date.now() };
}

export default {
  onWorkerStart(worker) {
    // `worker.logger` is the worker's pino-style logger (an extension of the contract).
    logger = worker.logger ?? null;
    logger?.info({ high: HIGH, low: LOW, target: TARGET }, 'iot handler ready');
  },

  onMessage(client, message) {
    if (typeof message !== 'string') return client.send('ERR text lines only');
    const line = message.trim();
    if (line === '') return;
    const space = line.indexOf(' ');
    const verb = space === -1 ? line : line.slice(0, space);
    const rest = space === -1 ? '' : line.slice(space + 1).trim();

    if (verb === 'PING') return client.send('PONG');
    if (verb === 'HELLO') return hello(client, rest === '' ? [] : rest.split(/\s+/));
    if (client.session.deviceId === undefined) return client.close('ERR say HELLO <deviceId> [<type>] first');

    switch (verb) {
      case 'T':
        return telemetry(client, rest);
      case 'ACK':
        return ack(client, rest === '' ? undefined : rest.split(/\s+/)[0]);
      default:
        return client.send(`ERR unknown message ${JSON.stringify(verb.slice(0, 32))}`);
    }
  },

  onClose(client) {
    const s = client.session; // still readable here
    if (s.deviceId === undefined) return;
    logger?.debug({ device: s.deviceId, telemetry: s.count, commands: s.commands, acks: s.acks }, 'device disconnected');
  },
};
