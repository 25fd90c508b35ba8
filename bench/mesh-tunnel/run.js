// The routing mesh across nodes: node A's published port to replicas that run only behind node B
// (through B's mutual-TLS mesh tunnel, B in its own process), beside the anchor measured in the
// same run: the same replicas reached by a mesh on their own node. wrk, keep-alive clients and a
// new connection per request. Prints one JSON object as the last line. Build first: npx tsc -b
// Env: DURATION (s per wrk run, default 4), ROUNDS (default 2), CONNECTIONS (default 32), REPLICAS (2).
'use strict';
const { spawn, execFile } = require('node:child_process');
const { promisify } = require('node:util');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { cpuNow, parseWrk, perRequestUs, summarize: summarizeRounds } = require('../lib/wrk');
const { freePort } = require('../lib/common');

const run = promisify(execFile);
const DURATION = Number(process.env.DURATION ?? 4);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 32);
const REPLICAS = Number(process.env.REPLICAS ?? 2);

const children = [];
const meshes = [];
let tmp;

/** Starts a child; resolves with it and the first stdout line that starts with readyText. */
function start(args, readyText) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith(readyText));
      if (line) resolve({ child, line });
    });
    child.stderr.on('data', (d) => (out += d));
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}): ${out}`)));
  });
}

async function wrk(port, close, pids) {
  const args = ['-t2', `-c${CONNECTIONS}`, `-d${DURATION}s`, '--latency'];
  if (close) args.push('-H', 'Connection: close');
  args.push(`http://127.0.0.1:${port}/`);
  const cpu0 = cpuNow(pids);
  const { stdout: out } = await run('wrk', args, { encoding: 'utf8', timeout: (DURATION + 30) * 1000 });
  const cpuS = cpuNow(pids) - cpu0;
  const r = parseWrk(out);
  return {
    rps: r.rps,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    cpuUsPerRequest: perRequestUs(cpuS, r.requests),
    errors: r.errors,
    non2xx: r.non2xx,
  };
}

const summarize = (rs) => summarizeRounds(rs, ['cpuUsPerRequest']);

async function main() {
  process.env.FLOTILLA_LOG_LEVEL ??= 'warn';
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-bench-tunnel-'));
  const { RootCA, createNodeKeyAndCsr } = require('../../packages/manager/dist');
  const { RoutingMesh } = require('../../packages/worker/dist/mesh');
  const ca = await RootCA.create();
  const creds = async (nodeId) => {
    const { keyPem, csrPem } = await createNodeKeyAndCsr();
    return {
      caCertPem: ca.certPem,
      keyPem,
      certPem: await ca.issue(csrPem, { nodeId, role: 'swarm-worker', clusterId: 'bench' }),
      clusterId: 'bench',
    };
  };
  fs.writeFileSync(path.join(tmp, 'b.json'), JSON.stringify(await creds('nodeB')), { mode: 0o600 });

  const ports = [];
  for (let i = 0; i < REPLICAS; i++) ports.push(await freePort());
  await Promise.all(
    ports.map((port, i) => start([path.join(__dirname, '../mesh/backend.js'), `task${i + 1}`, String(port)], 'ready')),
  );
  const b = await start(
    [path.join(__dirname, 'tunnel-node.js'), path.join(tmp, 'b.json'), ...ports.map((p, i) => `task${i + 1}=${p}`)],
    'ready',
  );
  const tunnel = `127.0.0.1:${b.line.split(' ')[1]}`;

  // Node A's mesh (remote replicas) and the anchor: a mesh on the replicas' own node.
  const remote = new RoutingMesh({ acceptLoops: 0 });
  await remote.setTunnelCredentials(await creds('nodeA'));
  const local = new RoutingMesh({ acceptLoops: 0 });
  meshes.push(remote, local);
  const sides = [];
  for (const [name, mesh, backends, pids] of [
    [
      'acrossNodes',
      remote,
      ports.map((port, i) => ({ taskId: `task${i + 1}`, address: '198.19.0.2', port, tunnel, node: 'nodeB' })),
      ['self', b.child.pid],
    ],
    ['sameNode', local, ports.map((port, i) => ({ taskId: `task${i + 1}`, address: '127.0.0.1', port })), ['self']],
  ]) {
    const port = await freePort();
    await mesh.publish({ published: port, target: 80, protocol: 'tcp', hostIp: '127.0.0.1' }, 'bench_web');
    await mesh.setBackends('bench_web', 80, backends);
    sides.push({ name, port, pids, mesh });
  }
  for (const s of sides) await run('wrk', ['-t1', '-c8', '-d1s', `http://127.0.0.1:${s.port}/`]);

  const runs = Object.fromEntries(sides.map((s) => [s.name, { keepAlive: [], close: [] }]));
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 ? [...sides].reverse() : sides;
    for (const close of [false, true])
      for (const s of order) runs[s.name][close ? 'close' : 'keepAlive'].push(await wrk(s.port, close, s.pids));
  }
  const ratio = (a, b2) => (a === null || b2 === null ? null : Math.round((a / b2) * 1000) / 1000);
  const result = {
    bench: 'mesh-tunnel',
    conditions: {
      cores: os.availableParallelism(),
      loadavg1: os.loadavg()[0],
      durationS: DURATION,
      rounds: ROUNDS,
      connections: CONNECTIONS,
      replicas: REPLICAS,
      acceptLoops: 1,
    },
    sameNode: { keepAlive: summarize(runs.sameNode.keepAlive), connectionPerRequest: summarize(runs.sameNode.close) },
    acrossNodes: {
      keepAlive: summarize(runs.acrossNodes.keepAlive),
      connectionPerRequest: summarize(runs.acrossNodes.close),
    },
  };
  for (const k of ['keepAlive', 'connectionPerRequest']) {
    result.acrossNodes[k].ratio = ratio(result.acrossNodes[k].rps, result.sameNode[k].rps);
    result.acrossNodes[k].cpuRatio = ratio(result.acrossNodes[k].cpuUsPerRequest, result.sameNode[k].cpuUsPerRequest);
  }
  result.acrossNodes.connectionsPerBackend = Object.fromEntries(
    (await remote.stats()).services[0].backends.map((x) => [x.taskId, x.total]),
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function cleanup() {
  await Promise.all(meshes.map((m) => m.close().catch(() => {})));
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
}

process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
process.on('SIGTERM', () => void cleanup().then(() => process.exit(143)));
main().then(cleanup, async (e) => {
  process.stderr.write(`bench/mesh-tunnel failed: ${e.stack ?? e}\n`);
  await cleanup();
  process.exitCode = 1;
});
