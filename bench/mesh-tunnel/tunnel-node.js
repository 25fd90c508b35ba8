// Node B of the tunnel benchmark: a mesh tunnel listener in its own process (as on another
// node) that resolves the benchmark's tasks to 127.0.0.1. Usage: node tunnel-node.js <creds.json>
// <task>=<port>...; prints "ready <port>".
'use strict';
const fs = require('node:fs');
process.env.FLOTILLA_LOG_LEVEL ??= 'warn';
const { TunnelServer } = require('../../packages/worker/dist/mesh');
const [credsFile, ...taskArgs] = process.argv.slice(2);
const tasks = new Map(taskArgs.map((a) => [a.split('=')[0], Number(a.split('=')[1])]));
const server = new TunnelServer({ resolve: (taskId, port) => (tasks.get(taskId) === port ? '127.0.0.1' : undefined) });
server
  .listen(JSON.parse(fs.readFileSync(credsFile, 'utf8')), 0, '127.0.0.1')
  .then((port) => process.stdout.write(`ready ${port}\n`));
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
