// Bare baseline: a net server echoing '\n'-terminated lines (the raw-TCP counterpart of bare-ws-echo).
import net from 'node:net';
import { memory, serve } from './common.js';

const port = Number(process.argv[2] ?? 0);
let clients = 0;
const server = net.createServer((socket) => {
  clients++;
  socket.setNoDelay(true);
  let rest = null;
  socket.on('data', (chunk) => {
    const buf = rest === null ? chunk : Buffer.concat([rest, chunk]);
    rest = null;
    const nl = buf.lastIndexOf(10);
    if (nl < 0) {
      rest = buf;
      return;
    }
    socket.write(nl === buf.length - 1 ? buf : buf.subarray(0, nl + 1));
    if (nl < buf.length - 1) rest = buf.subarray(nl + 1);
  });
  socket.on('error', () => {});
  socket.on('close', () => clients--);
});
server.listen({ host: '127.0.0.1', port, backlog: 4096 }, () => process.send({ ev: 'ready', port: server.address().port, pid: process.pid }));
serve({
  mem: () => ({ ...memory(), clients }),
  exit: () => {
    setTimeout(() => process.exit(0), 20);
    return {};
  },
});
