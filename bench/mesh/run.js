// Routing mesh vs HAProxy (Debian, TCP mode, round robin) over the same 5 backends, measured with
// wrk in one run: keep-alive clients and a new connection per request (-H "Connection: close").
// Prints one JSON object as the last line. Build first: npx tsc -b packages/worker
// Env: MESH_LOOPS (accept-loop children beside the in-process loop, default cores - 1),
//      DURATION (s, default 10), CONNECTIONS (default 50), THREADS (wrk, default 2), REPLICAS (5).
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const THREADS = Number(process.env.THREADS ?? 2);
const REPLICAS = Number(process.env.REPLICAS ?? 5);
const LOOPS = Number(process.env.MESH_LOOPS ?? Math.max(0, os.availableParallelism() - 1));

const children = [];
let tmp;
let mesh;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

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

function toMs(v, unit) {
  const n = Number(v);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : unit === 'm' ? n * 60000 : n;
}

function wrk(port, close) {
  const args = [`-t${THREADS}`, `-c${CONNECTIONS}`, `-d${DURATION}s`, '--latency'];
  if (close) args.push('-H', 'Connection: close');
  args.push(`http://127.0.0.1:${port}/`);
  const out = execFileSync('wrk', args, { encoding: 'utf8', timeout: (DURATION + 30) * 1000 });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p = (q) => {
    const m = new RegExp(`\\s${q}%\\s+([\\d.]+)(us|ms|s|m)`).exec(out);
    return m ? toMs(m[1], m[2]) : null;
  };
  const errors = /Socket errors: (.*)/.exec(out)?.[1] ?? null;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  return { rps, p50Ms: p(50), p99Ms: p(99), socketErrors: errors, non2xx };
}

async function main() {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-bench-mesh-'));
  const backendPorts = [];
  for (let i = 0; i < REPLICAS; i++) backendPorts.push(await freePort());
  await Promise.all(backendPorts.map((port, i) => start(process.execPath, [path.join(__dirname, 'backend.js'), `task${i + 1}`, String(port)], 'ready')));

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
  await start('haproxy', ['-db', '-f', path.join(tmp, 'haproxy.cfg')]);
  await waitPort(haPort);

  process.env.FLOTILLA_LOG_LEVEL ??= 'warn'; // stdout's last line is the JSON result
  const { RoutingMesh } = require('../../packages/worker/dist');
  const meshPort = await freePort();
  mesh = new RoutingMesh({ acceptLoops: LOOPS });
  await mesh.publish({ published: meshPort, target: 80, protocol: 'tcp', hostIp: '127.0.0.1' }, 'bench_web');
  const backends = backendPorts.map((port, i) => ({ taskId: `task${i + 1}`, address: '127.0.0.1', port }));
  await mesh.setBackends('bench_web', 80, backends);

  // How fast a backend change reaches every accept loop (setBackends resolves on the last ack).
  const updates = [];
  for (let i = 0; i < 20; i++) {
    const t = process.hrtime.bigint();
    await mesh.setBackends('bench_web', 80, i % 2 ? backends : backends.slice(1));
    updates.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  await mesh.setBackends('bench_web', 80, backends);
  updates.sort((a, b) => a - b);

  // Warm both up (JIT, connection tables) before measuring.
  execFileSync('wrk', ['-t1', '-c10', '-d2s', `http://127.0.0.1:${haPort}/`]);
  execFileSync('wrk', ['-t1', '-c10', '-d2s', `http://127.0.0.1:${meshPort}/`]);

  // Interleaved so that a change in background load hits both sides alike.
  const haKeepAlive = wrk(haPort, false);
  const meshKeepAlive = wrk(meshPort, false);
  const haClose = wrk(haPort, true);
  const meshClose = wrk(meshPort, true);
  const stats = await mesh.stats();

  const ratio = (a, b) => Math.round((a / b) * 1000) / 1000;
  const added = (a, b) => (a === null || b === null ? null : Math.round((a - b) * 1000) / 1000);
  const result = {
    bench: 'mesh',
    conditions: { cores: os.availableParallelism(), loadavg1: os.loadavg()[0], durationS: DURATION, connections: CONNECTIONS, wrkThreads: THREADS, replicas: REPLICAS, meshAcceptLoops: 1 + LOOPS },
    keepAlive: { haproxy: haKeepAlive, mesh: meshKeepAlive, ratio: ratio(meshKeepAlive.rps, haKeepAlive.rps), addedP99Ms: added(meshKeepAlive.p99Ms, haKeepAlive.p99Ms) },
    connectionPerRequest: { haproxy: haClose, mesh: meshClose, ratio: ratio(meshClose.rps, haClose.rps), addedP99Ms: added(meshClose.p99Ms, haClose.p99Ms) },
    backendUpdateMs: { median: updates[Math.floor(updates.length / 2)], max: updates[updates.length - 1] },
    meshConnectionsPerBackend: Object.fromEntries(stats.services[0].backends.map((b) => [b.taskId, b.total])),
    goals: { ratio: 0.9, addedP99Ms: 1 },
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function cleanup() {
  if (mesh) await mesh.close().catch(() => {});
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
}

process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
process.on('SIGTERM', () => void cleanup().then(() => process.exit(143)));
main()
  .then(cleanup, async (e) => {
    process.stderr.write(`bench/mesh failed: ${e.stack ?? e}\n`);
    await cleanup();
    process.exitCode = 1;
  });
