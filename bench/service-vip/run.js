#!/usr/bin/env node
// bench/service-vip: service-to-service traffic through a swarm service's virtual IP, on two
// `flotilla machine`s (manager + worker, made through test/cluster/cluster.ts like
// bench/swarm-cluster). Two services of REPLICAS replicas of the small Node backend bench/mesh uses
// (busybox httpd closes every connection, so it cannot show keep-alive), on one swarm network:
//   near  constrained to the worker   (its VIP: the worker's routing mesh to local tasks)
//   far   constrained to the manager  (its VIP: the worker's mesh through the mutual-TLS tunnel)
// wrk runs in the worker machine's netns (`ip netns exec`), the client on the node whose bridge
// carries the VIP it uses, for three targets, keep-alive and a new connection per request:
//   direct  one `near` task's address (the floor: no proxy, one replica)
//   vipLocal   near's VIP:80
//   vipTunnel  far's VIP:80
// CPU per request is read from /proc for the two daemons (with their accept-loop children: the
// mesh, tunnel ends included) and for the service's backend processes. Rounds interleave the
// targets; medians. Everything is removed afterwards, also on failure, timeout or Ctrl-C.
// Runs as root; needs a build (`npx tsc -b`). `npm run bench:service-vip` takes the cluster lock.
// Env: DURATION (s per wrk run, default 4), ROUNDS (default 3), CONNECTIONS (default 32),
//      THREADS (wrk, default 2), REPLICAS (default 3), BENCH_TIMEOUT_S (whole run, default 300).
'use strict';
const { spawn, execFile } = require('node:child_process');
const { promisify } = require('node:util');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { cpuNow, parseWrk, perRequestUs, summarize: summarizeRounds } = require('../lib/wrk');

const run = promisify(execFile);
const ROOT = path.join(__dirname, '../..');
const DURATION = Number(process.env.DURATION ?? 4);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 32);
const THREADS = Number(process.env.THREADS ?? 2);
const REPLICAS = Number(process.env.REPLICAS ?? 3);
const TW_REUSE = (process.env.CLIENT_TW_REUSE ?? '1') !== '0';
const TIMEOUT_S = Number(process.env.BENCH_TIMEOUT_S ?? 300);
const IMAGE = 'svbench:1';
const NET = 'svnet';
// PID 1 is node itself (exec): it handles SIGTERM; its page is the container's hostname.
const CMD = ['sh', '-c', 'exec node /backend.js $(hostname) 80 0.0.0.0'];

const log = (...a) => process.stderr.write(`[service-vip] ${a.join(' ')}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let aborted = null;
let current = null; // the wrk child running now, killed on abort

function abort(why) {
  if (aborted) return;
  aborted = why;
  log(`aborting: ${why}`);
  if (current && current.exitCode === null) current.kill('SIGKILL');
}
const check = () => {
  if (aborted) throw new Error(aborted);
};

const { requireTs } = require('../lib/require-ts');

/** An image with busybox (sh, hostname), this host's node binary and the libraries it links, and bench/mesh/backend.js. */
async function makeImage(dir) {
  const root = path.join(dir, 'root');
  const put = (src, dest) => {
    fs.mkdirSync(path.dirname(path.join(root, dest)), { recursive: true });
    fs.copyFileSync(src, path.join(root, dest)); // follows symlinks: the real library
  };
  put('/usr/bin/busybox', 'bin/busybox');
  for (const l of ['sh', 'hostname', 'sleep']) fs.symlinkSync('busybox', path.join(root, 'bin', l));
  put(process.execPath, 'bin/node');
  const { stdout } = await run('ldd', [process.execPath]);
  for (const m of stdout.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)) put(m[1], m[1]);
  put(path.join(ROOT, 'bench/mesh/backend.js'), 'backend.js');
  const tar = path.join(dir, 'image.tar');
  await run('tar', ['-C', root, '-cf', tar, '.']);
  return tar;
}

/** A daemon and its accept-loop children (the whole routing mesh of that node). */
function meshPids(daemonPid) {
  const pids = [daemonPid];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === daemonPid && fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('loop-child'))
        pids.push(Number(d));
    } catch {
      /* gone meanwhile */
    }
  }
  return pids;
}

/** One wrk run inside the netns; CPU of the mesh and the backends over the same interval. */
function wrk(enter, url, close, cpu) {
  const args = [...enter.slice(1), 'wrk', `-t${THREADS}`, `-c${CONNECTIONS}`, `-d${DURATION}s`, '--latency'];
  if (close) args.push('-H', 'Connection: close');
  args.push(url);
  const mesh0 = cpuNow(cpu.mesh);
  const back0 = cpuNow(cpu.backends);
  return new Promise((resolve, reject) => {
    check();
    const child = spawn(enter[0], args, { stdio: ['ignore', 'pipe', 'pipe'] });
    current = child;
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), (DURATION + 20) * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      current = null;
      if (aborted) return reject(new Error(aborted));
      if (code !== 0) return reject(new Error(`wrk ${url} exited ${code}: ${err}${out}`));
      const meshS = cpuNow(cpu.mesh) - mesh0;
      const backS = cpuNow(cpu.backends) - back0;
      const r = parseWrk(out);
      resolve({
        rps: r.rps,
        p50Ms: r.p50Ms,
        p99Ms: r.p99Ms,
        meshCpuUsPerRequest: perRequestUs(meshS, r.requests),
        backendCpuUsPerRequest: perRequestUs(backS, r.requests),
        errors: r.errors,
        non2xx: r.non2xx,
      });
    });
  });
}

const summarize = (rs) => summarizeRounds(rs, ['meshCpuUsPerRequest', 'backendCpuUsPerRequest']);
const r3 = (x) => Math.round(x * 1000) / 1000;
const ratio = (a, b) => (a === null || b === null || !b ? null : r3(a / b));
const added = (a, b) => (a === null || b === null ? null : r3(a - b));

/** GET from inside the netns, a new connection each; the page is the answering task's hostname. */
async function get(enter, url) {
  try {
    const { stdout } = await run(enter[0], [...enter.slice(1), 'curl', '-sf', '-m', '2', url], { timeout: 5000 });
    return stdout.trim() || null;
  } catch {
    return null;
  }
}

/** TCP sockets in TIME_WAIT in a netns, by local address > peer (port kept when it is 80): diagnostics. */
async function timeWait(enter) {
  try {
    const { stdout } = await run(enter[0], [...enter.slice(1), 'ss', '-Htan', 'state', 'time-wait'], {
      timeout: 5000,
      maxBuffer: 64 << 20,
    });
    const by = {};
    for (const line of stdout.split('\n').filter(Boolean)) {
      const [local, peer] = line.trim().split(/\s+/).slice(-2);
      const ep = (a) => (a.endsWith(':80') ? a : a.slice(0, a.lastIndexOf(':')));
      const k = `${ep(local)}>${ep(peer)}`;
      by[k] = (by[k] ?? 0) + 1;
    }
    return by;
  } catch (e) {
    return { error: e.message };
  }
}

async function waitFor(what, fn, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    check();
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

async function main(state) {
  if (process.getuid && process.getuid() !== 0)
    throw new Error('run as root: machines are network namespaces, containers need runc');
  process.env.FLOTILLA_LOG_LEVEL ??= 'warn';
  const { Cluster } = requireTs(path.join(ROOT, 'test/cluster/cluster.ts'));
  const loadavgStart = os.loadavg().map((x) => Math.round(x * 100) / 100);
  const t0 = Date.now();
  const c = await Cluster.create({ roles: ['manager', 'worker'], prefix: 'sv', log });
  state.cluster = c;
  check();
  const [mgr, wk] = c.machines;
  state.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-bench-svip-'));
  const tar = await makeImage(state.dir);
  await Promise.all(c.machines.map((m) => c.ok(m, ['import', tar, IMAGE], 120_000)));
  check();
  // The client: a task on the worker; wrk and curl run from the host in its netns only (nsenter -n).
  await c.ok(mgr, [
    'service',
    'create',
    '-d',
    '--name',
    'client',
    '--network',
    NET,
    '--constraint',
    'node.role == worker',
    IMAGE,
    'sh',
    '-c',
    'trap "exit 0" TERM; sleep 3600 & wait',
  ]);
  for (const [name, role, published] of [
    ['near', 'worker', 8081],
    ['far', 'manager', 8082],
  ]) {
    await c.ok(mgr, [
      'service',
      'create',
      '-d',
      '--name',
      name,
      '--network',
      NET,
      '--constraint',
      `node.role == ${role}`,
      '--replicas',
      String(REPLICAS),
      '-p',
      `${published}:80`,
      IMAGE,
      ...CMD,
    ]);
  }
  const tasks = {};
  for (const [name, m, n] of [
    ['near', wk, REPLICAS],
    ['far', mgr, REPLICAS],
    ['client', wk, 1],
  ]) {
    tasks[name] = await waitFor(
      `${n} ${name} tasks running`,
      async () => {
        const r = await c.running(name);
        return r.length === n ? r : null;
      },
      90_000,
    );
    if (!tasks[name].every((t) => t.NodeID === m.nodeId)) throw new Error(`${name}'s tasks are not all on ${m.name}`);
  }
  const vip = {};
  for (const name of ['near', 'far']) {
    const s = await c.api(mgr, 'GET', `/services/${name}`);
    const addr = s.Endpoint?.VirtualIPs?.[0]?.Addr;
    if (!addr) throw new Error(`${name} has no VIP: ${JSON.stringify(s.Endpoint)}`);
    vip[name] = addr.split('/')[0];
  }
  const clientPid = tasks.client[0].Status.ContainerStatus?.PID;
  if (!clientPid) throw new Error(`no pid for the client task: ${JSON.stringify(tasks.client[0].Status)}`);
  const inClient = ['nsenter', '-t', String(clientPid), '-n'];
  // A client making a new connection per request to one address:port runs out of ephemeral ports
  // within TIME_WAIT's 60 s unless it may reuse them (what a busy client sets): on in its netns.
  if (TW_REUSE) await run(inClient[0], [...inClient.slice(1), 'sysctl', '-qw', 'net.ipv4.tcp_tw_reuse=1']);
  const addrOf = (t) => (t.Status.Addresses?.[0] ?? t.NetworksAttachments?.[0]?.Addresses?.[0] ?? '').split('/')[0];
  const direct = addrOf(tasks.near[0]);
  if (!direct) throw new Error(`no address for near's task: ${JSON.stringify(tasks.near[0].Status)}`);
  const targets = [
    { name: 'direct', url: `http://${direct}:80/`, backends: [tasks.near[0]] },
    { name: 'vipLocal', url: `http://${vip.near}:80/`, backends: tasks.near },
    { name: 'vipTunnel', url: `http://${vip.far}:80/`, backends: tasks.far },
  ];
  // Answering, and (through a VIP) every replica in turn: the balancing is real.
  for (const t of targets) {
    t.answeredBy = await waitFor(
      `${t.name} (${t.url}) to answer from the worker`,
      async () => {
        const seen = new Set();
        for (let i = 0; i < 3 * REPLICAS; i++) {
          const page = await get(inClient, t.url);
          if (!page) return null;
          seen.add(page);
        }
        return seen.size === t.backends.length ? seen.size : null;
      },
      45_000,
    );
  }
  const setupMs = Date.now() - t0;
  log(`ready in ${setupMs} ms: direct ${direct}, near VIP ${vip.near}, far VIP ${vip.far}`);

  const mesh = [...meshPids(await c.daemonPid(wk)), ...meshPids(await c.daemonPid(mgr))];
  for (const t of targets)
    t.cpu = { mesh, backends: t.backends.map((x) => x.Status.ContainerStatus?.PID).filter(Boolean) };
  for (const t of targets) await wrk(inClient, t.url, false, { mesh: [], backends: [] }); // warm-up (JIT, ARP, tunnel)

  const runs = Object.fromEntries(targets.map((t) => [t.name, { keepAlive: [], close: [] }]));
  for (let r = 0; r < ROUNDS; r++) {
    const order = targets.map((_, i) => targets[(i + r) % targets.length]);
    for (const close of [false, true]) {
      for (const t of order) {
        const res = await wrk(inClient, t.url, close, t.cpu);
        log(`round ${r + 1} ${t.name} ${close ? 'close' : 'keep-alive'}: ${res.rps} req/s, p99 ${res.p99Ms} ms`);
        if (close) {
          const tw = {
            client: await timeWait(inClient),
            worker: await timeWait(['ip', 'netns', 'exec', wk.netns]),
            manager: await timeWait(['ip', 'netns', 'exec', mgr.netns]),
          };
          res.timeWaitAfter = tw;
          log(`  TIME_WAIT after: ${JSON.stringify(tw)}`);
        }
        runs[t.name][close ? 'close' : 'keepAlive'].push(res);
      }
    }
  }

  const result = {
    bench: 'service-vip',
    conditions: {
      cores: os.availableParallelism(),
      loadavgStart,
      loadavgEnd: os.loadavg().map((x) => Math.round(x * 100) / 100),
      durationS: DURATION,
      rounds: ROUNDS,
      connections: CONNECTIONS,
      wrkThreads: THREADS,
      replicas: REPLICAS,
      client: `wrk (host binary) in the netns of a client task on the worker (nsenter -n), tcp_tw_reuse=${TW_REUSE ? 1 : 'kernel default'} there`,
      backend: 'bench/mesh/backend.js (node, one process per task)',
      meshAcceptLoopsPerNode: mesh.length / 2,
      setupMs,
    },
    addresses: { direct, vipLocal: vip.near, vipTunnel: vip.far },
  };
  const floor = { keepAlive: summarize(runs.direct.keepAlive), connectionPerRequest: summarize(runs.direct.close) };
  for (const t of targets) {
    const o = {
      keepAlive: summarize(runs[t.name].keepAlive),
      connectionPerRequest: summarize(runs[t.name].close),
      replicasAnswering: t.answeredBy,
    };
    if (t.name !== 'direct') {
      for (const k of ['keepAlive', 'connectionPerRequest']) {
        o[k].ratioToDirect = ratio(o[k].rps, floor[k].rps);
        o[k].addedP50Ms = added(o[k].p50Ms, floor[k].p50Ms);
        o[k].addedP99Ms = added(o[k].p99Ms, floor[k].p99Ms);
      }
    }
    result[t.name] = o;
  }
  return result;
}

async function cleanup(state) {
  if (state.cluster) {
    try {
      await state.cluster.destroy();
    } catch (e) {
      log(`cleanup: ${e.message}`);
      process.exitCode = 1;
    }
    state.cluster = null;
  }
  if (state.dir) fs.rmSync(state.dir, { recursive: true, force: true });
}

const state = {};
process.on('SIGINT', () => abort('interrupted'));
process.on('SIGTERM', () => abort('terminated'));
const overall = setTimeout(() => abort(`over the ${TIMEOUT_S} s budget`), TIMEOUT_S * 1000);
main(state)
  .then(async (result) => {
    await cleanup(state);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  })
  .catch(async (e) => {
    process.stderr.write(`bench/service-vip failed: ${e.stack ?? e}\n`);
    await cleanup(state);
    process.exitCode = 1;
  })
  .finally(() => clearTimeout(overall));
