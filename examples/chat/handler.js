/**
 * gateworker chat example: the handler module run by every worker process.
 *
 * State lives in the gateway, never in this process: the nickname and the current room are kept
 * in `client.session`, the nickname is also bound as the client's uid (so private messages are a
 * `sendToUid`), and a room is a group. Any of the two workers can therefore handle any event, and
 * `gateworker reload` can replace them while every browser stays connected.
 *
 * Every callback may be async: gateworker waits for it, and handles one event at a time per
 * client, in order. Cluster API calls (`client.gateway.*`) return promises and are awaited here so
 * a failure surfaces in the worker's log instead of as an unhandled rejection.
 *
 * Message format: one JSON object per WebSocket text frame.
 *
 *   browser -> server
 *     {"type":"nick","nick":"alice"}        choose (or change) the nickname; required first
 *     {"type":"text","text":"hello"}        a line typed by the user: chat text, or a command:
 *        /join <room>      leave the current room, enter <room> (created on first use)
 *        /msg <nick> <text> private message
 *        /who              list the members of the current room
 *        /nick <nick>      change nickname
 *        /help             list the commands
 *
 *   server -> browser
 *     {"type":"welcome","text":"..."}                           on connect
 *     {"type":"nick","nick":"alice"}                           your nickname was accepted
 *     {"type":"room","room":"lobby"}                           you are now in this room
 *     {"type":"message","room":"lobby","from":"bob","text":"...","ts":1700000000000}
 *     {"type":"private","from":"bob","to":"alice","text":"...","ts":...}  (also echoed to the sender)
 *     {"type":"notice","room":"lobby","text":"bob joined"}     joins, leaves, renames
 *     {"type":"who","room":"lobby","members":["alice","bob"]}
 *     {"type":"error","text":"..."}
 */

const DEFAULT_ROOM = 'lobby';
const NAME = /^[A-Za-z0-9_.-]{1,24}$/;
const MAX_TEXT = 2000;

function out(obj) {
  return JSON.stringify(obj);
}

function reply(client, obj) {
  client.send(out(obj));
}

function error(client, text) {
  reply(client, { type: 'error', text });
}

/** @param {unknown} raw */
function parse(raw) {
  if (typeof raw !== 'string') return null;
  try {
    const msg = JSON.parse(raw);
    return typeof msg === 'object' && msg !== null && typeof msg.type === 'string' ? msg : null;
  } catch {
    return null;
  }
}

/** Takes (or changes to) a nickname: unique across the cluster because it is the uid. */
async function setNick(client, nick) {
  if (typeof nick !== 'string' || !NAME.test(nick)) {
    return error(client, 'a nickname is 1-24 letters, digits, "_", "." or "-"');
  }
  const old = client.session.nick;
  if (old === nick) return reply(client, { type: 'nick', nick });
  // Check-then-bind is not atomic across clients (two browsers racing for one name on two
  // workers could both win); good enough for a demo, a real app would reserve names in a store.
  if (await client.gateway.isUidOnline(nick)) return error(client, `the nickname "${nick}" is taken`);

  if (old !== undefined) client.unbindUid();
  client.bindUid(nick);
  client.session.nick = nick;
  reply(client, { type: 'nick', nick });

  if (old === undefined) {
    await join(client, DEFAULT_ROOM);
  } else {
    const room = client.session.room;
    await client.gateway.sendToGroup(room, out({ type: 'notice', room, text: `${old} is now known as ${nick}` }), { exclude: client.id });
  }
}

/** Moves the client to `room`, telling the old and the new room. */
async function join(client, room) {
  const { nick, room: old } = client.session;
  if (old === room) return reply(client, { type: 'room', room });
  if (old !== undefined) {
    client.leaveGroup(old);
    await client.gateway.sendToGroup(old, out({ type: 'notice', room: old, text: `${nick} left` }));
  }
  client.joinGroup(room);
  client.session.room = room;
  reply(client, { type: 'room', room });
  // Commands from one callback reach the gateway in order, so the client is in the group
  // already; `exclude` keeps the notice away from the one who joined.
  await client.gateway.sendToGroup(room, out({ type: 'notice', room, text: `${nick} joined` }), { exclude: client.id });
}

async function who(client) {
  const room = client.session.room;
  // { clientId: session } for every client in the group, on every gateway.
  const sessions = await client.gateway.getClientSessionsByGroup(room);
  const members = Object.values(sessions)
    .map((s) => s?.nick)
    .filter((n) => typeof n === 'string')
    .sort((a, b) => a.localeCompare(b));
  reply(client, { type: 'who', room, members });
}

async function privateMessage(client, to, text) {
  if (to === undefined || text === '') return error(client, 'usage: /msg <nick> <text>');
  if (!(await client.gateway.isUidOnline(to))) return error(client, `${to} is not online`);
  const msg = out({ type: 'private', from: client.session.nick, to, text, ts: Date.now() });
  await client.gateway.sendToUid(to, msg);
  if (to !== client.session.nick) client.send(msg);
}

async function command(client, line) {
  const [, name = '', rest = ''] = /^\/(\S*)\s*([\s\S]*)$/.exec(line) ?? [];
  const args = rest.trim();
  switch (name.toLowerCase()) {
    case 'join': {
      if (!NAME.test(args)) return error(client, 'usage: /join <room> (1-24 letters, digits, "_", "." or "-")');
      return join(client, args);
    }
    case 'msg': {
      const m = /^(\S+)\s+([\s\S]+)$/.exec(args);
      return privateMessage(client, m?.[1], m?.[2] ?? '');
    }
    case 'who':
      return who(client);
    case 'nick':
      return setNick(client, args);
    case 'help':
      return reply(client, {
        type: 'notice',
        room: client.session.room,
        text: 'commands: /join <room>, /msg <nick> <text>, /who, /nick <nick>, /help',
      });
    default:
      return error(client, `unknown command /${name} (try /help)`);
  }
}

export default {
  onWorkerStart(worker) {
    // `worker.logger` is the worker's pino-style logger (an extension of the contract).
    worker.logger?.info({ worker: worker.id }, 'chat handler ready');
  },

  onConnect(client) {
    client.session.connectedAt = Date.now();
    reply(client, { type: 'welcome', text: 'Welcome to the gateworker chat. Choose a nickname.' });
  },

  async onMessage(client, message) {
    const msg = parse(message);
    if (msg === null) return error(client, 'expected a JSON text frame like {"type":"text","text":"hi"}');

    if (msg.type === 'nick') return setNick(client, msg.nick);
    if (msg.type !== 'text' || typeof msg.text !== 'string') return error(client, `unknown message type "${msg.type}"`);
    if (client.session.nick === undefined) return error(client, 'choose a nickname first');

    const text = msg.text.trim();
    if (text === '') return;
    if (text.length > MAX_TEXT) return error(client, `messages are limited to ${MAX_TEXT} characters`);
    if (text.startsWith('/')) return command(client, text);

    const room = client.session.room;
    await client.gateway.sendToGroup(room, out({ type: 'message', room, from: client.session.nick, text, ts: Date.now() }));
  },

  onClose(client) {
    // The session is still readable here (changes are no longer written back).
    const { nick, room } = client.session;
    if (nick === undefined || room === undefined) return;
    return client.gateway.sendToGroup(room, out({ type: 'notice', room, text: `${nick} left` }));
  },
};
