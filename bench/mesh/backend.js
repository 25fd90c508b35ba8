// One benchmark backend: a tiny HTTP server answering its own id (like the tutorial's replicas).
// Usage: node backend.js <id> <port> [host=127.0.0.1]; prints "ready" when listening.
// (bench/service-vip runs it inside containers, on 0.0.0.0.)
'use strict';
const http = require('node:http');
const [id, port, host = '127.0.0.1'] = process.argv.slice(2);
const body = Buffer.from(`${id}\n`);
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(Number(port), host, () => process.stdout.write('ready\n'));
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
