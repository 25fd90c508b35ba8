#!/usr/bin/env node
// bench/swarm-single: single-node swarm scheduling/convergence, flotilla beside Docker 20.10
// (Debian's docker.io, a private dockerd) in the same run, same busybox image, same compose file:
//   deploy_5      `stack deploy` of 5 replicas until 5/5 running
//   scale_5_50    edit replicas to 50, deploy again, until 50/50 running
//   scale_50_5    back to 5 (the task exits at once on SIGTERM) until 5 run and the 45 are shut down
//   flotilla only: time until the published port answers after the deploy, and the distinct
//   hostnames over 20 new connections (the routing mesh; Docker's needs IPVS, which this kernel lacks).
// "Converged" is what `service ls` (REPLICAS = ServiceStatus running/desired) and `stack ps` show,
// read through the Engine API both CLIs use, polled every POLL_MS from the command's start: polling
// through the CLIs would charge flotilla a node start per poll and Docker a Go start.
// Each repetition uses a fresh stack; engines alternate within a repetition so both see the same
// load. Medians over the repetitions. Every step is abandoned after STEP_TIMEOUT_MS and reported
// failed. Everything is removed afterwards, also on failure or Ctrl-C: daemons, containers, mounts,
// netns, docker_gwbridge, Docker's iptables rules and chains, cgroups, temp dirs.
// Runs as root; needs a build (`npx tsc -b`). Usage: node bench/swarm-single/run.js [repetitions]
'use strict';
const { execFile, spawn, execFileSync } = require('node:child_process');
const { mkdtempSync, rmSync, writeFileSync, existsSync } = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const { loadavg, cpus } = require('node:os');
const { join } = require('node:path');
const { readSysctl, pidsMentioning, killRuncContainers, unmountUnder, removeCgroups } = require('../lib/host-cleanup');

const ROOT = join(__dirname, '../..');
const BIN = join(ROOT, 'packages/stack-cli/bin/flotilla');
const DOCKER = '/usr/bin/docker'; // Debian's 20.10 client (a newer one may sit in /usr/local/bin)
const DOCKERD = '/usr/sbin/dockerd';
const REPS = Number(process.argv[2] || 3);
const POLL_MS = 75;
const STEP_TIMEOUT_MS = 120_000;
const API = '/v1.41';
// A shell as PID 1 ignores SIGTERM unless it traps it; httpd in the background, `wait` interruptible.
const SCRIPT = `trap "exit 0" TERM; mkdir -p /www; hostname > /www/index.html; httpd -f -p 80 -h /www & wait`;
const TERMINAL = new Set(['shutdown', 'complete', 'failed', 'rejected', 'orphaned', 'remove']);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => Number(process.hrtime.bigint()) / 1e6;
const round = (x) => (x === null || x === undefined ? null : Math.round(x));
const log = (...a) => process.stderr.write(`[swarm-single] ${a.join(' ')}\n`);

function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { encoding: 'utf8', timeout: STEP_TIMEOUT_MS, maxBuffer: 16 << 20, ...opts },
      (err, stdout, stderr) =>
        resolve({
          code: err ? (typeof err.code === 'number' ? err.code : -1) : 0,
          stdout,
          stderr: stderr || (err && !stdout ? String(err.message) : ''),
        }),
    );
  });
}

function api(socketPath, method, path, timeout = 10_000) {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path: API + path, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        if (res.statusCode >= 400) reject(new Error(`${method} ${path}: ${res.statusCode} ${text.trim()}`));
        else resolve(text ? JSON.parse(text) : undefined);
      });
    });
    req.on('error', reject);
    req.setTimeout(timeout, () => req.destroy(new Error(`${method} ${path}: timeout`)));
    req.end();
  });
}

/** One GET on a new connection; resolves the trimmed body. */
function httpGet(port, timeout = 1000) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let s = '';
      res.on('data', (d) => (s += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(s.trim()) : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.setTimeout(timeout, () => req.destroy(new Error('timeout')));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function until(fn, ms, what) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try {
      if (await fn()) return;
    } catch (e) {
      last = e;
    }
    await sleep(POLL_MS);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`);
}

const compose = (replicas, port) => `version: "3"
services:
  web:
    image: web:1
    command: ["sh", "-c", ${JSON.stringify(SCRIPT)}]
    deploy:
      replicas: ${replicas}
    ports:
      - "${port}:80"
`;

/** What `service ls` and `stack ps` would show: N/N, N tasks running, every other task shut down. */
async function converged(engine, stack, n) {
  const filters = encodeURIComponent(JSON.stringify({ label: [`com.docker.stack.namespace=${stack}`] }));
  const services = await api(engine.sock, 'GET', `/services?status=true&filters=${filters}`);
  if (services.length !== 1) return false;
  const s = services[0];
  if (s.Spec.Mode?.Replicated?.Replicas !== n) return false;
  if (s.ServiceStatus?.RunningTasks !== n || s.ServiceStatus?.DesiredTasks !== n) return false;
  const tasks = await api(
    engine.sock,
    'GET',
    `/tasks?filters=${encodeURIComponent(JSON.stringify({ service: [s.ID] }))}`,
  );
  const wanted = tasks.filter((t) => t.DesiredState === 'running');
  if (wanted.length !== n || wanted.some((t) => t.Status?.State !== 'running')) return false;
  return tasks.filter((t) => t.DesiredState !== 'running').every((t) => TERMINAL.has(t.Status?.State));
}

/** Run the (detached) deploy and poll until `n` replicas converged; ms from the command's start. */
async function timedDeploy(engine, file, stack, n, onStart) {
  const t0 = now();
  const cmd = engine.cli(engine.deployArgs(file, stack));
  const side = onStart ? onStart(t0) : null;
  const res = await cmd;
  if (res.code !== 0) throw new Error(`${engine.name} stack deploy exited ${res.code}: ${res.stderr.trim()}`);
  await until(() => converged(engine, stack, n), STEP_TIMEOUT_MS - (now() - t0), `${stack}: ${n}/${n} running`);
  const ms = now() - t0;
  // Untimed cross-checks at that moment: the engine's own containers, and what its CLI prints.
  const containers_running = (await api(engine.sock, 'GET', '/containers/json')).length;
  const ls = await engine.cli(['service', 'ls']);
  const replicas = (ls.stdout.match(new RegExp(`${stack}_web\\s+replicated\\s+(\\d+/\\d+)`)) || [])[1] ?? null;
  const ps = await engine.cli(['stack', 'ps', stack, '--filter', 'desired-state=running']);
  const ps_running = ps.stdout.split('\n').filter((l) => /\bRunning\s+Running\b/.test(l)).length;
  return {
    ms,
    check: { containers_running, service_ls_replicas: replicas, stack_ps_running: ps_running },
    side: side ? await side : null,
  };
}

async function step(name, fn) {
  try {
    return { ok: true, ...(await fn()) };
  } catch (e) {
    log(`${name} failed: ${e.message}`);
    return { ok: false, error: e.message };
  }
}

async function removeStack(engine, stack) {
  const t0 = now();
  const res = await engine.cli(['stack', 'rm', stack]);
  if (res.code !== 0) throw new Error(`${engine.name} stack rm exited ${res.code}: ${res.stderr.trim()}`);
  const f = encodeURIComponent(JSON.stringify({ label: [`com.docker.stack.namespace=${stack}`] }));
  await until(
    async () => {
      const [svcs, ctrs, nets] = await Promise.all([
        api(engine.sock, 'GET', `/services?filters=${f}`),
        api(engine.sock, 'GET', '/containers/json?all=1'),
        api(engine.sock, 'GET', '/networks'), // flotilla ignores a label filter on /networks: filter here
      ]);
      const stackNets = nets.filter((n) => n.Labels?.['com.docker.stack.namespace'] === stack);
      return svcs.length === 0 && ctrs.length === 0 && stackNets.length === 0;
    },
    STEP_TIMEOUT_MS,
    `${stack} removed (services, containers, networks)`,
  );
  return now() - t0;
}

/** One repetition on one engine: deploy 5, scale to 50, back to 5, remove. */
async function repetition(engine, rep) {
  const stack = `bench${rep}`;
  const port = await freePort();
  const file = join(engine.dir, `${stack}.yml`);
  const out = { engine: engine.name, rep, loadavg_1m: Math.round(loadavg()[0] * 100) / 100 };
  writeFileSync(file, compose(5, port));
  let portWatch = null;
  out.deploy_5 = await step(`${engine.name} deploy_5`, async () => {
    const r = await timedDeploy(
      engine,
      file,
      stack,
      5,
      engine.mesh ? (t0) => (portWatch = firstAnswer(port, t0)) : null,
    );
    return { ms: r.ms, check: r.check };
  });
  if (engine.mesh) {
    out.port_answers = await step(`${engine.name} port`, async () => ({ ms: await portWatch }));
    out.mesh = await step(`${engine.name} mesh`, async () => {
      const seen = new Set();
      let errors = 0;
      for (let i = 0; i < 20; i++) {
        try {
          seen.add(await httpGet(port, 3000));
        } catch {
          errors++;
        }
      }
      return { distinct_hostnames: seen.size, errors };
    });
  }
  if (out.deploy_5.ok) {
    writeFileSync(file, compose(50, port));
    out.scale_5_50 = await step(`${engine.name} scale_5_50`, async () => await timedDeploy(engine, file, stack, 50));
  }
  if (out.scale_5_50?.ok) {
    writeFileSync(file, compose(5, port));
    out.scale_50_5 = await step(`${engine.name} scale_50_5`, async () => await timedDeploy(engine, file, stack, 5));
  }
  out.stack_rm = await step(`${engine.name} stack rm`, async () => ({ ms: await removeStack(engine, stack) }));
  if (!out.stack_rm.ok)
    throw new Error(`${engine.name}: could not remove ${stack}, stopping here (${JSON.stringify(out)})`);
  log(engine.name, `rep ${rep}:`, JSON.stringify(out));
  return out;
}

/** ms from t0 until the published port first answers 200 (bounded by the step timeout). */
async function firstAnswer(port, t0) {
  while (now() - t0 < STEP_TIMEOUT_MS) {
    try {
      await httpGet(port, 1000);
      return now() - t0;
    } catch {
      await sleep(50);
    }
  }
  throw new Error(`port ${port} did not answer within ${STEP_TIMEOUT_MS} ms`);
}

/** Sanity: the task command exits at once on SIGTERM under this engine's runc (not after a grace kill). */
async function stopCheck(engine) {
  const name = 'bench-stop-check';
  const r = await engine.cli(['run', '-d', '--name', name, '--network', 'none', 'web:1', 'sh', '-c', SCRIPT]);
  if (r.code !== 0) return { ok: false, error: r.stderr.trim() };
  await sleep(300);
  const t0 = now();
  const s = await engine.cli(['stop', '-t', '10', name]);
  const ms = now() - t0;
  const insp = await api(engine.sock, 'GET', `/containers/${name}/json`).catch(() => null);
  await engine.cli(['rm', '-f', name]);
  return { ok: s.code === 0, stop_ms: round(ms), exit_code: insp?.State?.ExitCode ?? null };
}

// ---------- flotilla ----------

async function startFlotilla(dir) {
  const dataRoot = join(dir, 'data');
  const execRoot = join(dir, 'exec');
  const sock = join(dir, 'fl.sock');
  const env = { ...process.env, FLOTILLA_HOST: `unix://${sock}`, HOME: dir };
  const daemon = spawn(
    process.execPath,
    [BIN, 'daemon', '--data-root', dataRoot, '--exec-root', execRoot, '-H', `unix://${sock}`],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  let tail = '';
  daemon.stderr.on('data', (d) => (tail = (tail + d).slice(-4000)));
  const engine = {
    name: 'flotilla',
    dir,
    sock,
    mesh: true,
    cli: (args) => run(process.execPath, [BIN, ...args], { env, cwd: dir }),
    deployArgs: (file, stack) => ['stack', 'deploy', '-d', '-c', file, stack],
    async stop() {
      await run(process.execPath, [BIN, 'swarm', 'leave', '--force'], { env, timeout: 30_000 });
      const ctrs = await api(sock, 'GET', '/containers/json?all=1').catch(() => []);
      for (const c of ctrs) await api(sock, 'DELETE', `/containers/${c.Id}?force=1`).catch(() => undefined);
      await stopProcess(daemon, 20_000);
      const { dataPaths, purgeDaemonState } = require(join(ROOT, 'packages/engine-core/dist/index.js'));
      killRuncContainers(dataPaths(dataRoot, execRoot).runcRoot);
      unmountUnder(dir);
      await purgeDaemonState(dataRoot, { runDir: execRoot, removeData: true });
    },
    daemonLog: () => tail,
  };
  await until(
    async () => (await engine.cli(['version'])).code === 0,
    30_000,
    `the flotilla daemon to answer (log: ${tail})`,
  );
  return engine;
}

// ---------- Docker 20.10 ----------

function iptablesRules(table) {
  try {
    return execFileSync('iptables-save', ['-t', table], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).split('\n');
  } catch {
    return [];
  }
}
function links() {
  return JSON.parse(execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' }));
}
const SYSCTLS = [
  '/proc/sys/net/ipv4/ip_forward',
  '/proc/sys/net/bridge/bridge-nf-call-iptables',
  '/proc/sys/net/bridge/bridge-nf-call-ip6tables',
];

async function startDocker(dir) {
  if (!existsSync(DOCKERD) || !existsSync(DOCKER))
    throw new Error(`Docker 20.10 not installed (${DOCKERD}, ${DOCKER}): apt-get install docker.io`);
  const tag = `flbench-${process.pid}`;
  const sock = join(dir, 'd.sock');
  // What the host looked like before, so only what this dockerd added is taken away.
  const before = {
    filter: new Set(iptablesRules('filter')),
    nat: new Set(iptablesRules('nat')),
    links: new Set(links().map((l) => l.ifname)),
    sysctls: Object.fromEntries(SYSCTLS.map((p) => [p, readSysctl(p)])),
  };
  const env = { ...process.env, DOCKER_HOST: `unix://${sock}`, HOME: dir, DOCKER_CONFIG: join(dir, 'cfg') };
  const daemon = spawn(
    DOCKERD,
    [
      '--data-root',
      join(dir, 'data'),
      '--exec-root',
      join(dir, 'exec'),
      '--pidfile',
      join(dir, 'dockerd.pid'),
      '-H',
      `unix://${sock}`,
      // Its own containerd namespaces and cgroup parent: another engineer may run a dockerd too.
      '--containerd-namespace',
      tag,
      '--containerd-plugins-namespace',
      `${tag}-plugins`,
      '--cgroup-parent',
      `/${tag}`,
      '--bridge=none',
      '--ip6tables=false',
    ],
    // Own process group: a Ctrl-C reaches only this script, whose cleanup then stops the daemon.
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  let tail = '';
  daemon.stderr.on('data', (d) => (tail = (tail + d).slice(-4000)));
  const engine = {
    name: 'docker-20.10',
    dir,
    sock,
    mesh: false,
    cli: (args) => run(DOCKER, args, { env, cwd: dir }),
    deployArgs: (file, stack) => ['stack', 'deploy', '-c', file, stack], // 20.10 never waits
    async stop() {
      await run(DOCKER, ['swarm', 'leave', '--force'], { env, timeout: 30_000 });
      const ctrs = await api(sock, 'GET', '/containers/json?all=1').catch(() => []);
      for (const c of ctrs) await api(sock, 'DELETE', `/containers/${c.Id}?force=1`, 30_000).catch(() => undefined);
      await stopProcess(daemon, 30_000);
      // containerd and shims it left behind (a SIGKILLed dockerd): their command lines name our dir.
      killRuncContainers(join(dir, 'exec/runtime-runc', tag));
      for (const pid of pidsMentioning(dir)) killPid(pid);
      unmountUnder(dir);
      const after = links();
      for (const l of after) {
        if (before.links.has(l.ifname)) continue;
        if (
          l.ifname === 'docker_gwbridge' ||
          l.ifname === 'docker0' ||
          l.master === 'docker_gwbridge' ||
          l.master === 'docker0'
        ) {
          try {
            execFileSync('ip', ['link', 'del', l.ifname], { stdio: 'ignore' });
          } catch {
            /* went with its peer */
          }
        }
      }
      for (const table of ['filter', 'nat']) {
        const now = iptablesRules(table);
        for (const r of now.filter((l) => l.startsWith('-A ') && /docker/i.test(l) && !before[table].has(l))) {
          try {
            execFileSync('sh', ['-c', `iptables -t ${table} -D ${r.slice(3)}`], { stdio: 'ignore' });
          } catch {
            /* already gone */
          }
        }
        const chains = now
          .filter((l) => l.startsWith(':DOCKER') && !before[table].has(l))
          .map((l) => l.slice(1).split(' ')[0]);
        for (const c of chains) {
          try {
            execFileSync('iptables', ['-t', table, '-F', c], { stdio: 'ignore' });
            execFileSync('iptables', ['-t', table, '-X', c], { stdio: 'ignore' });
          } catch {
            /* still referenced by a rule someone else owns: leave it */
          }
        }
      }
      for (const [p, v] of Object.entries(before.sysctls)) {
        if (v !== null && readSysctl(p) !== v) {
          try {
            writeFileSync(p, v);
          } catch {
            /* read-only here */
          }
        }
      }
      removeCgroups(tag);
    },
    daemonLog: () => tail,
  };
  await until(async () => (await engine.cli(['version'])).code === 0, 60_000, `dockerd to answer (log: ${tail})`);
  return engine;
}

// ---------- cleanup helpers ----------

function stopProcess(child, ms) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const t = setTimeout(() => child.kill('SIGKILL'), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function killPid(pid) {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

// ---------- main ----------

function median(xs) {
  const s = xs.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  if (s.length === 0) return null;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function summarize(reps, engineName, mesh) {
  const mine = reps.filter((r) => r.engine === engineName);
  const metric = (k, f = (x) => x.ms) => {
    const vals = mine.map((r) => (r[k]?.ok ? f(r[k]) : null));
    return {
      median_ms: round(median(vals)),
      samples_ms: vals.map(round),
      failed: vals.filter((v) => v === null).length,
    };
  };
  const out = {
    deploy_5: metric('deploy_5'),
    scale_5_50: metric('scale_5_50'),
    scale_50_5: metric('scale_50_5'),
    stack_rm: metric('stack_rm'),
  };
  if (mesh) {
    out.port_answers_after_deploy = metric('port_answers');
    out.mesh_distinct_hostnames_of_20 = mine.map((r) => (r.mesh?.ok ? r.mesh.distinct_hostnames : null));
    out.mesh_errors_of_20 = mine.map((r) => (r.mesh?.ok ? r.mesh.errors : null));
  }
  return out;
}

async function main() {
  if (process.getuid && process.getuid() !== 0)
    throw new Error('run as root: containers need runc with namespaces and cgroups');
  if (!existsSync(join(ROOT, 'packages/stack-cli/dist/cli/main.js')))
    throw new Error('no build: run `npx tsc -b` first');
  const { makeBusyboxRootfsTar } = require(join(ROOT, 'packages/engine-core/dist/testing/busybox-rootfs.js'));
  const work = mkdtempSync('/tmp/flbench-swarm-');
  const engines = [];
  const result = {
    bench: 'swarm-single',
    repetitions: REPS,
    cpus: cpus().length,
    loadavg_start: loadavg().map((x) => Math.round(x * 100) / 100),
    goals_ms: { deploy_5: 1000, scale_5_50: 3000, scale_50_5: 2000 },
    engines: {},
  };
  let aborted = false;
  const onSignal = () => {
    aborted = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const { tar } = makeBusyboxRootfsTar(work);
    const flDir = mkdtempSync(join(work, 'fl-'));
    const dkDir = mkdtempSync(join(work, 'dk-'));
    const starters = [
      ['flotilla', () => startFlotilla(flDir)],
      ['docker-20.10', () => startDocker(dkDir)],
    ];
    for (const [name, start] of starters) {
      try {
        const e = await start();
        engines.push(e);
        const init =
          name === 'flotilla'
            ? await (async () => {
                const p = await freePort();
                return e.cli([
                  'swarm',
                  'init',
                  '--advertise-addr',
                  `127.0.0.1:${p}`,
                  '--listen-addr',
                  `127.0.0.1:${p}`,
                ]);
              })()
            : await e.cli(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
        if (init.code !== 0) throw new Error(`${name} swarm init: ${init.stderr.trim()}`);
        const imp = await e.cli(['import', tar, 'web:1']);
        if (imp.code !== 0) throw new Error(`${name} import: ${imp.stderr.trim()}`);
        result.engines[name] = {
          version: (await e.cli(['version', '--format', '{{.Server.Version}}'])).stdout.trim() || null,
          stop_check: await stopCheck(e),
        };
      } catch (err) {
        log(`${name} unavailable: ${err.message}`);
        result.engines[name] = { error: err.message };
      }
    }
    const ready = engines.filter((e) => !result.engines[e.name].error);
    const reps = [];
    for (let rep = 1; rep <= REPS && !aborted; rep++) {
      // Alternate who goes first so neither always runs right after the other's teardown.
      const order = rep % 2 ? ready : [...ready].reverse();
      for (const e of order) {
        if (aborted) break;
        reps.push(await repetition(e, rep));
      }
    }
    for (const e of ready) Object.assign(result.engines[e.name], summarize(reps, e.name, e.mesh));
    result.repetitions_raw = JSON.parse(
      JSON.stringify(reps, (k, v) => (k === 'ms' ? round(v) : k === 'side' ? undefined : v)),
    );
  } catch (err) {
    result.error = err.message;
    log(`failed: ${err.stack}`);
  } finally {
    for (const e of [...engines].reverse()) {
      try {
        await e.stop();
      } catch (err) {
        log(`cleanup of ${e.name}: ${err.message}`);
        result.cleanup_error = (result.cleanup_error ? result.cleanup_error + '; ' : '') + `${e.name}: ${err.message}`;
      }
    }
    unmountUnder(work);
    rmSync(work, { recursive: true, force: true });
    result.loadavg_end = loadavg().map((x) => Math.round(x * 100) / 100);
    if (aborted) result.error = (result.error ? result.error + '; ' : '') + 'interrupted';
  }
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exitCode = result.error ? 1 : 0;
}

main().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exitCode = 1;
});
