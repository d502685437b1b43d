// Bare baseline for fan-out: a `ws` WebSocketServer that, on a trigger, builds the frame ONCE
// with Sender.frame and then, per socket, does cork(); write(header); write(payload); uncork()
// (design.md, Performance). Trigger: a client text message "A|<id>|<size>", or IPC
// {cmd:'broadcast', args:{id, size}}. The payload is "B|<id>|" padded with 'x' to <size> bytes.
import { WebSocketServer, Sender } from 'ws';
import { memory, serve } from './common.js';

const port = Number(process.argv[2] ?? 0);
const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false, backlog: 4096 });

function payloadOf(id, size) {
  const head = `B|${id}|`;
  return Buffer.from(head + 'x'.repeat(Math.max(0, size - head.length)));
}

function broadcast(id, size) {
  const [header, payload] = Sender.frame(payloadOf(id, size), { fin: true, rsv1: false, opcode: 1, mask: false, readOnly: false });
  let n = 0;
  for (const ws of wss.clients) {
    if (ws.readyState !== 1) continue;
    const socket = ws._socket;
    socket.cork();
    socket.write(header);
    socket.write(payload);
    socket.uncork();
    n++;
  }
  return n;
}

wss.on('connection', (ws) => {
  ws.on('message', (data) => {
    if (data[0] === 65 /* A */) {
      const [, id, size] = data.toString().split('|');
      broadcast(Number(id), Number(size));
    } else ws.send(data);
  });
  ws.on('error', () => {});
});
serve({
  mem: () => ({ ...memory(), clients: wss.clients.size }),
  broadcast: ({ id, size }) => ({ sent: broadcast(id, size) }),
  exit: () => {
    setTimeout(() => process.exit(0), 20);
    return {};
  },
});
wss.on('listening', () => process.send({ ev: 'ready', port: wss.address().port, pid: process.pid }));
