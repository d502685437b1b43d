// Bare baseline: a `ws` WebSocketServer echoing every message (perMessageDeflate off).
// Messages starting with 'I' are one-way (ingest): counted, not answered.
import { WebSocketServer } from 'ws';
import { memory, serve } from './common.js';

const port = Number(process.argv[2] ?? 0);
let ingested = 0;
const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false, backlog: 4096 });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    if (data[0] === 73) {
      ingested++;
      return;
    }
    ws.send(data, { binary: isBinary });
  });
  ws.on('error', () => {});
});
serve({
  mem: () => ({ ...memory(), clients: wss.clients.size }),
  count: () => ({ ingested, clients: wss.clients.size }),
  exit: () => {
    setTimeout(() => process.exit(0), 20);
    return {};
  },
});
wss.on('listening', () => process.send({ ev: 'ready', port: wss.address().port, pid: process.pid }));
