// Routing mesh vs HAProxy (Debian, TCP mode, round robin) over the same 5 backends, measured with
// wrk in one run: keep-alive clients and a new connection per request (-H "Connection: close").
// Prints one JSON object as the last line. Build first: npx tsc -b packages/worker
// Env: MESH_LOOPS (comma list of accept-loop children beside the in-process loop, one mesh
//      measured per entry, default "0,<cores - 1>"),
//      DURATION (s per wrk run, default 5), ROUNDS (interleaved
//      haproxy/mesh rounds, medians reported, default 3), CONNECTIONS (default 50), THREADS (wrk, default 2), REPLICAS (5).
'use strict';
const { spawn, execFile } = require('node:child_process');
const { promisify } = require('node:util');

// Never a sync exec: the mesh's own accept loop runs in this process's event loop.
const run = promisify(execFile);
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { cpuNow, parseWrk, perRequestUs, summarize: summarizeRounds } = require('../lib/wrk');
const { freePort } = require('../lib/common');

const DURATION = Number(process.env.DURATION ?? 5);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const THREADS = Number(process.env.THREADS ?? 2);
const REPLICAS = Number(process.env.REPLICAS ?? 5);
// Accept-loop children per measured mesh: "0" is the daemon's loop alone, "1" adds one child.
const LOOPS = (process.env.MESH_LOOPS ?? `0,${Math.max(1, os.availableParallelism() - 1)}`).split(',').map(Number);

const children = [];
let tmp;
const meshes = [];

function start(cmd, args, readyText) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d) => {
      out += d;
      if (readyText && out.includes(readyText)) resolve(child);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d) => (out += d));
    child.once('exit', (code) => reject(new Error(`${cmd} exited (${code}): ${out}`)));
    if (!readyText) resolve(child);
  });
}

function waitPort(port, ms = 5000) {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tryOnce = () => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`port ${port} never opened`));
        else setTimeout(tryOnce, 50);
      });
    };
    tryOnce();
  });
}

async function wrk(port, close, pids) {
  const args = [`-t${THREADS}`, `-c${CONNECTIONS}`, `-d${DURATION}s`, '--latency'];
  if (close) args.push('-H', 'Connection: close');
  args.push(`http://127.0.0.1:${port}/`);
  const cpu0 = cpuNow(pids);
  const { stdout: out } = await run('wrk', args, { encoding: 'utf8', timeout: (DURATION + 30) * 1000 });
  const cpuS = cpuNow(pids) - cpu0;
  const r = parseWrk(out);
  // CPU per request does not depend on how much CPU the neighbours leave us: the fair figure on a busy machine.
  return {
    rps: r.rps,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    cpuUsPerRequest: perRequestUs(cpuS, r.requests),
    errors: r.errors,
    non2xx: r.non2xx,
  };
}

function summarize(rs) {
  const { errors, ...rest } = summarizeRounds(rs, ['cpuUsPerRequest']);
  return { ...rest, socketErrors: errors };
}

async function main() {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-bench-mesh-'));
  const backendPorts = [];
  for (let i = 0; i < REPLICAS; i++) backendPorts.push(await freePort());
  await Promise.all(
    backendPorts.map((port, i) =>
      start(process.execPath, [path.join(__dirname, 'backend.js'), `task${i + 1}`, String(port)], 'ready'),
    ),
  );

  const haPort = await freePort();
  const cfg = [
    'global',
    '  maxconn 8000',
    'defaults',
    '  mode tcp',
    '  timeout connect 5s',
    '  timeout client 60s',
    '  timeout server 60s',
    'frontend fe',
    `  bind 127.0.0.1:${haPort}`,
    '  default_backend be',
    'backend be',
    '  balance roundrobin',
    ...backendPorts.map((p, i) => `  server s${i + 1} 127.0.0.1:${p}`),
    '',
  ].join('\n');
  fs.writeFileSync(path.join(tmp, 'haproxy.cfg'), cfg);
  const haproxy = await start('haproxy', ['-db', '-f', path.join(tmp, 'haproxy.cfg')]);
  await waitPort(haPort);

  process.env.FLOTILLA_LOG_LEVEL ??= 'warn'; // stdout's last line is the JSON result
  const { RoutingMesh } = require('../../packages/worker/dist/mesh'); // the mesh alone: the rest of the package may be mid-work
  const backends = backendPorts.map((port, i) => ({ taskId: `task${i + 1}`, address: '127.0.0.1', port }));
  // One mesh per accept-loop configuration, each on its own port over the same backends.
  const configs = [];
  for (const loops of LOOPS) {
    const port = await freePort();
    const m = new RoutingMesh({ acceptLoops: loops });
    meshes.push(m);
    await m.publish({ published: port, target: 80, protocol: 'tcp', hostIp: '127.0.0.1' }, 'bench_web');
    await m.setBackends('bench_web', 80, backends);
    configs.push({
      name: `mesh${1 + loops}loop${loops ? 's' : ''}`,
      loops,
      port,
      mesh: m,
      pids: ['self', ...m.loopPids],
    });
  }

  // How fast a backend change reaches every accept loop (setBackends resolves on the last ack).
  const widest = configs[configs.length - 1].mesh;
  const updates = [];
  for (let i = 0; i < 20; i++) {
    const t = process.hrtime.bigint();
    await widest.setBackends('bench_web', 80, i % 2 ? backends : backends.slice(1));
    updates.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  await widest.setBackends('bench_web', 80, backends);
  updates.sort((a, b) => a - b);

  // Warm everything up (JIT, connection tables) before measuring.
  for (const port of [haPort, ...configs.map((c) => c.port)])
    await run('wrk', ['-t1', '-c10', '-d2s', `http://127.0.0.1:${port}/`]);

  // Interleaved rounds so that a change in background load hits every side alike; medians.
  // The order rotates: a run inherits the TIME_WAIT sockets of the one before it.
  const sides = [{ name: 'haproxy', port: haPort, pids: [haproxy.pid] }, ...configs];
  const runs = {};
  for (const side of sides) runs[side.name] = { keepAlive: [], close: [] };
  for (let r = 0; r < ROUNDS; r++) {
    const order = sides.map((_, i) => sides[(i + r) % sides.length]);
    for (const close of [false, true]) {
      for (const side of order)
        runs[side.name][close ? 'close' : 'keepAlive'].push(await wrk(side.port, close, side.pids));
    }
  }

  const ratio = (a, b) => (a === null || b === null ? null : Math.round((a / b) * 1000) / 1000);
  const added = (a, b) => (a === null || b === null ? null : Math.round((a - b) * 1000) / 1000);
  const result = {
    bench: 'mesh',
    conditions: {
      cores: os.availableParallelism(),
      loadavg1: os.loadavg()[0],
      durationS: DURATION,
      rounds: ROUNDS,
      connections: CONNECTIONS,
      wrkThreads: THREADS,
      replicas: REPLICAS,
      haproxy: 'Debian 2.6, mode tcp, balance roundrobin, default nbthread',
    },
    haproxy: { keepAlive: summarize(runs.haproxy.keepAlive), connectionPerRequest: summarize(runs.haproxy.close) },
    mesh: {},
    backendUpdateMs: {
      acceptLoops: 1 + LOOPS[LOOPS.length - 1],
      median: updates[Math.floor(updates.length / 2)],
      max: updates[updates.length - 1],
    },
    goals: { ratio: 0.9, addedP99Ms: 1 },
  };
  for (const c of configs) {
    const ka = summarize(runs[c.name].keepAlive);
    const cl = summarize(runs[c.name].close);
    const ha = result.haproxy;
    const stats = await c.mesh.stats();
    result.mesh[c.name] = {
      acceptLoops: 1 + c.loops,
      keepAlive: {
        ...ka,
        ratio: ratio(ka.rps, ha.keepAlive.rps),
        addedP99Ms: added(ka.p99Ms, ha.keepAlive.p99Ms),
        cpuRatio: ratio(ka.cpuUsPerRequest, ha.keepAlive.cpuUsPerRequest),
      },
      connectionPerRequest: {
        ...cl,
        ratio: ratio(cl.rps, ha.connectionPerRequest.rps),
        addedP99Ms: added(cl.p99Ms, ha.connectionPerRequest.p99Ms),
        cpuRatio: ratio(cl.cpuUsPerRequest, ha.connectionPerRequest.cpuUsPerRequest),
      },
      connectionsPerBackend: Object.fromEntries(stats.services[0].backends.map((b) => [b.taskId, b.total])),
    };
  }
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
  process.stderr.write(`bench/mesh failed: ${e.stack ?? e}\n`);
  await cleanup();
  process.exitCode = 1;
});
