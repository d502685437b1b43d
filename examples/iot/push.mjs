#!/usr/bin/env node
// The "operator": any Node program can reach the devices through the cluster API with a
// GatewayClient. It learns the gateways from the register, so it needs no device connection
// of its own. Commands go out as "CMD <name> <args>" lines; devices answer "ACK <name>".
//
//   node examples/iot/push.mjs                                   counts and device ids only
//   node examples/iot/push.mjs --uid dev-0001 reboot now         one device, by device id (uid)
//   node examples/iot/push.mjs --group thermo cool 55            every device of a type (group)
//   node examples/iot/push.mjs --sessions                        also list each device's session
//
// Options: --register host:port (repeatable; default: register.listen of the config),
//          --secret s (default: $GATEWORKER_SECRET, else the config's secret),
//          --config f (default: gateworker.yaml next to this script).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { GatewayClient } from '@gateworker/worker';

const USAGE =
  'usage: node push.mjs [--uid <deviceId> | --group <type>] [<command> [args...]] [--sessions] [--register host:port] [--secret s] [--config f]';

function fail(message) {
  console.error(`push: ${message}\n${USAGE}`);
  process.exit(2);
}

let values;
let positionals;
try {
  ({ values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      uid: { type: 'string' },
      group: { type: 'string' },
      sessions: { type: 'boolean', default: false },
      register: { type: 'string', multiple: true },
      secret: { type: 'string' },
      config: { type: 'string', default: fileURLToPath(new URL('./gateworker.yaml', import.meta.url)) },
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

const [name, ...args] = positionals;
if (values.uid !== undefined && values.group !== undefined) fail('give --uid or --group, not both');
if ((values.uid !== undefined || values.group !== undefined) && name === undefined) fail('which command? e.g. --uid dev-0001 reboot');
if (name !== undefined && values.uid === undefined && values.group === undefined)
  fail(`send "${name}" to whom? add --uid <deviceId> or --group <type>`);
if (name !== undefined && !/^[A-Za-z0-9_.:-]{1,64}$/.test(name)) fail(`bad command name "${name}"`);

// Secret and register address: flags, then env, then the example's config file.
let config = {};
try {
  config = parseYaml(readFileSync(values.config, 'utf8')) ?? {};
} catch (err) {
  if (values.secret === undefined || values.register === undefined) console.error(`push: could not read ${values.config}: ${err.message}`);
}
const secret = values.secret ?? process.env.GATEWORKER_SECRET ?? config.secret ?? '';
const registers = values.register ?? [config.register?.listen ?? '127.0.0.1:1236'];

const gateway = new GatewayClient({ registers, secret });
let exitCode = 0;
try {
  if (name !== undefined) {
    const line = ['CMD', name, ...args].join(' ');
    if (values.uid !== undefined) {
      const online = await gateway.isUidOnline(values.uid);
      await gateway.sendToUid(values.uid, line);
      console.log(`sent "${line}" to device ${values.uid}${online ? '' : ' (not online: nothing delivered)'}`);
      if (!online) exitCode = 1;
    } else {
      const count = await gateway.getClientCountByGroup(values.group);
      await gateway.sendToGroup(values.group, line);
      console.log(`sent "${line}" to group ${values.group} (${count} connection${count === 1 ? '' : 's'})`);
    }
  }

  const total = await gateway.getAllClientCount();
  const uids = (await gateway.getAllUids()).sort();
  console.log(`connections: ${total}`);
  console.log(`devices (uids): ${uids.length}${uids.length > 0 ? `: ${preview(uids)}` : ''}`);

  if (values.sessions) {
    const sessions = await gateway.getAllClientSessions();
    const rows = Object.entries(sessions)
      .filter(([, s]) => s?.deviceId !== undefined)
      .map(([id, s]) => ({
        device: s.deviceId,
        type: s.type,
        client: id,
        telemetry: s.count,
        temp: s.last?.temp,
        commands: s.commands,
        acks: s.acks,
      }))
      .sort((a, b) => String(a.device).localeCompare(String(b.device)));
    console.table(rows);
  }
} catch (err) {
  console.error(`push: ${err.message}`);
  exitCode = 1;
} finally {
  await gateway.close();
}
process.exit(exitCode);

function preview(list, max = 20) {
  return list.length <= max ? list.join(' ') : `${list.slice(0, max).join(' ')} … (+${list.length - max} more)`;
}
