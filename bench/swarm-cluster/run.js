#!/usr/bin/env node
// bench/swarm-cluster: a swarm over several local machines, flotilla beside Docker 20.10 (Debian's
// docker.io) in the same run, same busybox httpd image, same service:
//   deploy_ms     `service create` of REPLICAS replicas until all are RUNNING (spread over the nodes)
//   node_down_ms  kill -9 of a worker's daemon until the manager shows the node Down
//   recovery_ms   kill -9 of a worker's daemon until all REPLICAS run again on the other nodes
// flotilla's machines are `flotilla machine`s made through test/cluster/cluster.ts (the fixture the
// cluster tests use; loaded here through typescript's transpiler). Docker's nodes are private
// dockerds, each in its own netns (bench/swarm-cluster/docker-nodes.js). "Running" is read from the
// manager's Engine API (GET /tasks) every POLL_MS, for both. Every step is abandoned after its
// timeout and reported failed; everything is removed afterwards, also on failure or Ctrl-C.
// Runs as root; needs a build (`npx tsc -b`).
// Usage: node bench/swarm-cluster/run.js [machines=3] [replicas=50] [repetitions=1]
'use strict';
const { mkdtempSync } = require('node:fs');
const { cpus, loadavg } = require('node:os');
const { join } = require('node:path');

const ROOT = join(__dirname, '../..');
const MACHINES = Math.max(2, Math.min(5, Number(process.argv[2] || 3)));
const REPLICAS = Number(process.argv[3] || 50);
const REPS = Math.max(1, Number(process.argv[4] || 1));
const POLL_MS = 75;
const DEPLOY_TIMEOUT_MS = Number(process.env.DEPLOY_TIMEOUT_MS || 120_000);
const RECOVERY_TIMEOUT_MS = 90_000;
const IMAGE = 'web:1';
// A shell as PID 1 ignores SIGTERM unless it traps it; httpd in the background, `wait` interruptible.
const SCRIPT = 'trap "exit 0" TERM; mkdir -p /www; hostname > /www/index.html; httpd -f -p 80 -h /www & wait';
// Docker's documented defaults, for when its swarm cannot be measured here.
const DOCKER_DEFAULTS = {
  dispatcher_heartbeat_period_s: 5,
  node_down_after: 'heartbeat period x 3 grace (+ jitter): 13-16 s',
  restart_delay_s: 5,
  source:
    'docker swarm init --dispatcher-heartbeat (default 5s); swarmkit dispatcher DefaultHeartBeatPeriod 5s, grace multiplier 3; service create --restart-delay (default 5s)',
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => Number(process.hrtime.bigint()) / 1e6;
const log = (...a) => process.stderr.write(`[swarm-cluster] ${a.join(' ')}\n`);
let aborted = false;

const { requireTs } = require('../lib/require-ts');

/** Polls `probe` until it returns a truthy value; null on timeout or Ctrl-C. */
async function until(probe, timeoutMs) {
  const deadline = now() + timeoutMs;
  while (!aborted && now() < deadline) {
    try {
      const v = await probe();
      if (v) return v;
    } catch {
      /* a daemon in the middle of a failover: poll again */
    }
    await sleep(POLL_MS);
  }
  return null;
}

const spread = (tasks) =>
  Object.values(tasks.reduce((m, t) => ({ ...m, [t.NodeID]: (m[t.NodeID] || 0) + 1 }), {})).sort((a, b) => b - a);
const runningOf = (tasks) => tasks.filter((t) => t.Status.State === 'running' && t.DesiredState === 'running');

function median(xs) {
  const v = xs.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  if (v.length === 0) return null;
  return v.length % 2 ? v[(v.length - 1) / 2] : Math.round((v[v.length / 2 - 1] + v[v.length / 2]) / 2);
}

/** Medians over the repetitions, with every sample (null = that step failed) and the errors. */
function summarize(runs) {
  const first = runs.find((r) => !r.error) || runs[0] || {};
  const metric = (k) => ({ median: median(runs.map((r) => r[k])), samples: runs.map((r) => r[k] ?? null) });
  return {
    version: first.version ?? null,
    ...(first.roles ? { roles: first.roles } : {}),
    heartbeat_period_ms: first.heartbeat_period_ms ?? null,
    setup_ms: metric('setup_ms'),
    deploy_ms: metric('deploy_ms'),
    node_down_ms: metric('node_down_ms'),
    recovery_ms: metric('recovery_ms'),
    deploy_spread: first.deploy_spread ?? null,
    tasks_on_killed_node: first.tasks_on_killed_node ?? null,
    recovery_spread: first.recovery_spread ?? null,
    errors: runs
      .filter((r) => r.error)
      .map((r) => ({ error: r.error, ...(r.task_states ? { task_states: r.task_states } : {}) })),
  };
}

/** What the tasks were doing when a step timed out: counts by state and desired state, a few errors. */
async function states(e) {
  const tasks = await e.tasks().catch(() => []);
  const counts = {};
  for (const t of tasks)
    counts[`${t.Status.State}/${t.DesiredState}`] = (counts[`${t.Status.State}/${t.DesiredState}`] || 0) + 1;
  return { counts, errors: [...new Set(tasks.map((t) => t.Status.Err).filter(Boolean))].slice(0, 3) };
}

/**
 * The two measurements on one engine. `e` gives: tasks() (the service's tasks from a manager),
 * nodeDown(node) (whether the manager shows it down), create() (the service), kill(node).
 */
async function measure(e) {
  const out = {};
  let t0 = now();
  const created = await e.create();
  if (created.code !== 0) throw new Error(`service create: ${created.stderr.trim()}`);
  const deployed = await until(async () => {
    const r = runningOf(await e.tasks());
    return r.length === REPLICAS ? r : null;
  }, DEPLOY_TIMEOUT_MS);
  out.deploy_ms = deployed ? Math.round(now() - t0) : null;
  if (!deployed)
    return {
      ...out,
      error: `deploy: not all ${REPLICAS} running within ${DEPLOY_TIMEOUT_MS} ms`,
      task_states: await states(e),
    };
  out.deploy_spread = spread(deployed);
  const victim = e.victim();
  out.tasks_on_killed_node = deployed.filter((t) => t.NodeID === victim.nodeId).length;
  t0 = now();
  await e.kill(victim);
  let downAt = null;
  const recovered = await until(async () => {
    if (downAt === null && (await e.nodeDown(victim))) downAt = now();
    const r = runningOf(await e.tasks());
    return r.length === REPLICAS && r.every((t) => t.NodeID !== victim.nodeId) ? r : null;
  }, RECOVERY_TIMEOUT_MS);
  out.node_down_ms = downAt === null ? null : Math.round(downAt - t0);
  out.recovery_ms = recovered ? Math.round(now() - t0) : null;
  if (!recovered)
    Object.assign(out, {
      error: `recovery: not all ${REPLICAS} running elsewhere within ${RECOVERY_TIMEOUT_MS} ms`,
      task_states: await states(e),
    });
  else out.recovery_spread = spread(recovered);
  return out;
}

async function flotilla() {
  const { Cluster, api } = requireTs(join(ROOT, 'test/cluster/cluster.ts'));
  const t0 = now();
  // One manager for now; 3 managers + 2 workers once manager join lands (roles per machine).
  const roles = ['manager', ...Array(MACHINES - 1).fill('worker')];
  let c = null;
  try {
    c = await Cluster.create({ roles, prefix: 'fb', log });
    await c.loadImage(IMAGE);
    const setup_ms = Math.round(now() - t0);
    const r = await measure({
      create: () =>
        c
          .fl(c.manager, [
            'service',
            'create',
            '--name',
            'web',
            '--replicas',
            String(REPLICAS),
            IMAGE,
            'sh',
            '-c',
            SCRIPT,
          ])
          .then((x) => ({ code: x.code, stderr: x.err })),
      tasks: () => c.tasks('web'),
      victim: () => c.workers[c.workers.length - 1],
      kill: (m) => c.killDaemon(m),
      nodeDown: async (m) =>
        (await api(c.manager.socket, 'GET', '/nodes')).some((n) => n.ID === m.nodeId && n.Status.State === 'down'),
    });
    return {
      version: (await c.fl(c.manager, ['version', '--format', '{{.Server.Version}}'])).out.trim() || null,
      roles,
      setup_ms,
      heartbeat_period_ms: 1000,
      ...r,
    };
  } finally {
    if (c) await c.destroy();
  }
}

async function docker() {
  const { startDockerNodes } = require('./docker-nodes');
  const { makeBusyboxRootfsTar } = require(join(ROOT, 'packages/engine-core/dist/testing/busybox-rootfs.js'));
  const dir = mkdtempSync('/tmp/fldc-');
  const t0 = now();
  let cluster = null;
  try {
    cluster = await startDockerNodes(dir, MACHINES, (process.pid % 46656).toString(36));
    const [mgr, ...workers] = cluster.nodes;
    const init = await mgr.cli(['swarm', 'init', '--advertise-addr', mgr.ip]);
    if (init.code !== 0) throw new Error(`swarm init: ${init.stderr.trim()}`);
    const token = (await mgr.cli(['swarm', 'join-token', '-q', 'worker'])).stdout.trim();
    for (const w of workers) {
      const j = await w.cli(['swarm', 'join', '--token', token, `${mgr.ip}:2377`]);
      if (j.code !== 0) throw new Error(`swarm join on ${w.name}: ${j.stderr.trim()}`);
    }
    const { tar } = makeBusyboxRootfsTar(dir);
    for (const n of cluster.nodes) {
      const imp = await n.cli(['import', tar, IMAGE]);
      if (imp.code !== 0) throw new Error(`import on ${n.name}: ${imp.stderr.trim()}`);
      n.nodeId = (await n.api('GET', '/info')).Swarm.NodeID;
    }
    const ready = await until(
      async () => (await mgr.api('GET', '/nodes')).filter((n) => n.Status.State === 'ready').length === MACHINES,
      60_000,
    );
    if (!ready) throw new Error('the docker nodes did not all become Ready');
    const setup_ms = Math.round(now() - t0);
    const q = `/tasks?filters=${encodeURIComponent(JSON.stringify({ service: ['web'] }))}`;
    const r = await measure({
      // --no-resolve-image: the image is local to every node, no registry has it.
      create: () =>
        mgr.cli([
          'service',
          'create',
          '--detach',
          '--no-resolve-image',
          '--name',
          'web',
          '--replicas',
          String(REPLICAS),
          IMAGE,
          'sh',
          '-c',
          SCRIPT,
        ]),
      tasks: () => mgr.api('GET', q),
      victim: () => workers[workers.length - 1],
      kill: async (n) => {
        n.kill();
        await until(async () => n.daemon.exitCode !== null || n.daemon.signalCode !== null, 10_000);
      },
      nodeDown: async (n) =>
        (await mgr.api('GET', '/nodes')).some((x) => x.ID === n.nodeId && x.Status.State === 'down'),
    });
    return {
      version: (await mgr.cli(['version', '--format', '{{.Server.Version}}'])).stdout.trim() || null,
      setup_ms,
      heartbeat_period_ms: 5000,
      ...r,
    };
  } finally {
    if (cluster) await cluster.stop();
  }
}

async function main() {
  if (process.getuid && process.getuid() !== 0)
    throw new Error('run as root: machines are network namespaces, containers need runc');
  const result = {
    bench: 'swarm-cluster',
    machines: MACHINES,
    replicas: REPLICAS,
    repetitions: REPS,
    cpus: cpus().length,
    loadavg_start: loadavg().map((x) => Math.round(x * 100) / 100),
    goals_ms: { recovery_ms: 5000 },
    engines: {},
  };
  const onSignal = () => {
    aborted = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const only = process.env.SWARM_CLUSTER_ONLY; // 'flotilla' or 'docker-20.10': one engine (debugging)
  const engines = [
    ['flotilla', flotilla],
    ['docker-20.10', docker],
  ].filter(([n]) => !only || n === only);
  const runs = Object.fromEntries(engines.map(([n]) => [n, []]));
  for (let rep = 1; rep <= REPS && !aborted; rep++) {
    // A fresh cluster per repetition; engines alternate who goes first so both see the same load.
    for (const [name, fn] of rep % 2 ? engines : [...engines].reverse()) {
      if (aborted) break;
      log(`${name} #${rep}: ${MACHINES} machines, ${REPLICAS} replicas`);
      let r;
      try {
        r = await fn();
      } catch (err) {
        log(`${name} failed: ${err.stack}`);
        r = { error: err.message };
      }
      log(`${name} #${rep}: ${JSON.stringify(r)}`);
      runs[name].push(r);
    }
  }
  for (const [name] of engines) result.engines[name] = summarize(runs[name]);
  const d = result.engines['docker-20.10'];
  if (!d || d.recovery_ms.median === null) result.docker_documented_defaults_not_measured = DOCKER_DEFAULTS;
  result.loadavg_end = loadavg().map((x) => Math.round(x * 100) / 100);
  if (aborted) result.error = 'interrupted';
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exitCode = Object.values(result.engines).some((e) => e.errors.length) || aborted ? 1 : 0;
}

main().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exitCode = 1;
});
