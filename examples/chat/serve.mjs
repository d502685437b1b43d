// Serves index.html on http://127.0.0.1:8080/ (optional: opening the file directly works too).
// Usage: node examples/chat/serve.mjs [--port 8080] [--host 127.0.0.1]
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '8080' } } });
const page = new URL('./index.html', import.meta.url);

const server = createServer(async (req, res) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
  } else if (path !== '/' && path !== '/index.html') {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  } else {
    try {
      const body = await readFile(page); // read per request, so edits show on reload
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`);
    }
  }
});
server.listen(Number(values.port), values.host, () => console.log(`chat page on http://${values.host}:${values.port}/ (Ctrl-C to stop)`));
