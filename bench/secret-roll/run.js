#!/usr/bin/env node
// bench/secret-roll: how long a password change takes to reach every task of a service, flotilla
// beside Docker 20.10 (Debian's docker.io) in the same run, on MACHINES machines (1 manager + the
// rest workers), same busybox image, a REPLICAS-replica service using secret `pw`, same update
// config (parallelism PARALLELISM, stop-first, no delay):
//   flotilla   `secret update pw FILE` (the secret changes in place; its services roll)
//   docker     Docker's fastest equivalent: `secret create pw2 FILE` then
//              `service update --detach --secret-rm pw --secret-add source=pw2,target=pw web`
//   roll_ms    from the first command until every running task is of the new value and REPLICAS run
// Afterwards (not timed) every task's /run/secrets/pw is read with `exec` on its node and must hold
// the new value. flotilla's machines come from test/cluster/cluster.ts (the cluster tests' fixture),
// Docker's from bench/swarm-cluster/docker-nodes.js. Everything is removed afterwards, also on failure.
// Runs as root; needs a build (`npx tsc -b`).
// Usage: node bench/secret-roll/run.js [machines=3] [replicas=10] [repetitions=1]
'use strict';
const { mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { cpus, loadavg, tmpdir } = require('node:os');
const { join } = require('node:path');
const { requireTs } = require('../lib/require-ts');

const ROOT = join(__dirname, '../..');
const MACHINES = Math.max(2, Math.min(5, Number(process.argv[2] || 3)));
const REPLICAS = Number(process.argv[3] || 10);
const REPS = Math.max(1, Number(process.argv[4] || 1));
const PARALLELISM = Number(process.env.PARALLELISM ?? 0); // 0 = all at once, docker's meaning
const POLL_MS = 50;
const TIMEOUT_MS = 120_000;
const IMAGE = 'web:1';
// A shell as PID 1 ignores SIGTERM unless it traps it; sleep in the background, `wait` interruptible.
const SCRIPT = 'trap "exit 0" TERM; sleep 100000 & wait';
const OLD = 'password-one';
const NEW = 'password-two';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => Number(process.hrtime.bigint()) / 1e6;
const log = (...a) => process.stderr.write(`[secret-roll] ${a.join(' ')}\n`);

async function until(probe, timeoutMs) {
  const deadline = now() + timeoutMs;
  while (now() < deadline) {
    try {
      const v = await probe();
      if (v) return v;
    } catch {
      /* poll again */
    }
    await sleep(POLL_MS);
  }
  return null;
}

const runningOf = (tasks) => tasks.filter((t) => t.Status.State === 'running' && t.DesiredState === 'running');

/** Rolled when REPLICAS run and every running task is of the new value (`isNew(task)`). */
const rolled = (tasks, isNew) => {
  const r = runningOf(tasks);
  return r.length === REPLICAS && r.every(isNew) ? r : null;
};

/** The same service on both engines: REPLICAS sleepers with secret pw and the same update config. */
const serviceCreate = (extra = []) => [
  'service',
  'create',
  '--detach',
  ...extra,
  '--name',
  'web',
  '--replicas',
  String(REPLICAS),
  '--secret',
  'pw',
  '--update-parallelism',
  String(PARALLELISM),
  '--update-delay',
  '0s',
  '--update-order',
  'stop-first',
  IMAGE,
  'sh',
  '-c',
  SCRIPT,
];

async function flotilla(dir) {
  const { Cluster } = requireTs(join(ROOT, 'test/cluster/cluster.ts'));
  const roles = ['manager', ...Array(MACHINES - 1).fill('worker')];
  let c = null;
  try {
    c = await Cluster.create({ roles, prefix: 'fs', log });
    await c.loadImage(IMAGE);
    const m = c.manager;
    await c.ok(m, ['secret', 'create', 'pw', join(dir, 'old')]);
    await c.ok(m, serviceCreate());
    const deployed = await until(async () => rolled(await c.tasks('web'), () => true), TIMEOUT_MS);
    if (!deployed) throw new Error(`service create: not all ${REPLICAS} running within ${TIMEOUT_MS} ms`);
    const before = deployed[0].Spec.ContainerSpec.Secrets[0].DataVersion;
    const t0 = now();
    await c.ok(m, ['secret', 'update', 'pw', join(dir, 'new')]);
    const command_ms = Math.round(now() - t0);
    const done = await until(
      async () => rolled(await c.tasks('web'), (t) => t.Spec.ContainerSpec.Secrets[0].DataVersion !== before),
      TIMEOUT_MS,
    );
    const roll_ms = done ? Math.round(now() - t0) : null;
    if (!done) return { command_ms, roll_ms, error: `roll: not done within ${TIMEOUT_MS} ms` };
    const seen = await Promise.all(
      done.map(async (t) => {
        const node = c.machineOf(t.NodeID);
        const r = await c.fl(node, ['exec', t.Status.ContainerStatus.ContainerID, 'cat', '/run/secrets/pw']);
        return r.out.trim();
      }),
    );
    return { command_ms, roll_ms, new_value_in_tasks: seen.filter((v) => v === NEW).length };
  } finally {
    if (c) await c.destroy();
  }
}

async function docker(dir) {
  const { startDockerNodes } = require('../swarm-cluster/docker-nodes');
  const { makeBusyboxRootfsTar } = require(join(ROOT, 'packages/engine-core/dist/testing/busybox-rootfs.js'));
  const ddir = mkdtempSync('/tmp/fldr-');
  let cluster = null;
  const must = async (n, args) => {
    const r = await n.cli(args);
    if (r.code !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr.trim()}`);
    return r.stdout;
  };
  try {
    cluster = await startDockerNodes(ddir, MACHINES, (process.pid % 46656).toString(36));
    const [mgr, ...workers] = cluster.nodes;
    await must(mgr, ['swarm', 'init', '--advertise-addr', mgr.ip]);
    const token = (await must(mgr, ['swarm', 'join-token', '-q', 'worker'])).trim();
    for (const w of workers) await must(w, ['swarm', 'join', '--token', token, `${mgr.ip}:2377`]);
    const { tar } = makeBusyboxRootfsTar(ddir);
    for (const n of cluster.nodes) {
      await must(n, ['import', tar, IMAGE]);
      n.nodeId = (await n.api('GET', '/info')).Swarm.NodeID;
    }
    const ready = await until(
      async () => (await mgr.api('GET', '/nodes')).filter((n) => n.Status.State === 'ready').length === MACHINES,
      60_000,
    );
    if (!ready) throw new Error('the docker nodes did not all become Ready');
    await must(mgr, ['secret', 'create', 'pw', join(dir, 'old')]);
    await must(mgr, serviceCreate(['--no-resolve-image']));
    const q = `/tasks?filters=${encodeURIComponent(JSON.stringify({ service: ['web'] }))}`;
    const deployed = await until(async () => rolled(await mgr.api('GET', q), () => true), TIMEOUT_MS);
    if (!deployed) throw new Error(`service create: not all ${REPLICAS} running within ${TIMEOUT_MS} ms`);
    const t0 = now();
    await must(mgr, ['secret', 'create', 'pw2', join(dir, 'new')]);
    await must(mgr, [
      'service',
      'update',
      '--detach',
      '--no-resolve-image',
      '--secret-rm',
      'pw',
      '--secret-add',
      'source=pw2,target=pw',
      'web',
    ]);
    const command_ms = Math.round(now() - t0);
    const done = await until(
      async () =>
        rolled(await mgr.api('GET', q), (t) => t.Spec.ContainerSpec.Secrets.some((s) => s.SecretName === 'pw2')),
      TIMEOUT_MS,
    );
    const roll_ms = done ? Math.round(now() - t0) : null;
    if (!done) return { command_ms, roll_ms, error: `roll: not done within ${TIMEOUT_MS} ms` };
    const byId = new Map(cluster.nodes.map((n) => [n.nodeId, n]));
    const seen = await Promise.all(
      done.map(async (t) => {
        const r = await byId
          .get(t.NodeID)
          .cli(['exec', t.Status.ContainerStatus.ContainerID, 'cat', '/run/secrets/pw']);
        return r.stdout.trim();
      }),
    );
    return {
      version: (await mgr.cli(['version', '--format', '{{.Server.Version}}'])).stdout.trim() || null,
      command_ms,
      roll_ms,
      new_value_in_tasks: seen.filter((v) => v === NEW).length,
    };
  } finally {
    if (cluster) await cluster.stop();
    rmSync(ddir, { recursive: true, force: true });
  }
}

async function main() {
  if (process.getuid && process.getuid() !== 0) throw new Error('run as root: machines are network namespaces');
  const dir = mkdtempSync(join(tmpdir(), 'secret-roll-'));
  writeFileSync(join(dir, 'old'), OLD);
  writeFileSync(join(dir, 'new'), NEW);
  const result = {
    bench: 'secret-roll',
    machines: MACHINES,
    replicas: REPLICAS,
    update_parallelism: PARALLELISM,
    repetitions: REPS,
    cpus: cpus().length,
    loadavg_start: loadavg().map((x) => Math.round(x * 100) / 100),
    engines: {},
  };
  const only = process.env.SECRET_ROLL_ONLY; // 'flotilla' or 'docker-20.10'
  const engines = [
    ['flotilla', flotilla],
    ['docker-20.10', docker],
  ].filter(([n]) => !only || n === only);
  try {
    for (let rep = 1; rep <= REPS; rep++)
      for (const [name, fn] of rep % 2 ? engines : [...engines].reverse()) {
        log(`${name} #${rep}`);
        let r;
        try {
          r = await fn(dir);
        } catch (e) {
          log(`${name} failed: ${e.stack}`);
          r = { error: e.message };
        }
        log(`${name} #${rep}: ${JSON.stringify(r)}`);
        (result.engines[name] ??= []).push(r);
      }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const [name, runs] of Object.entries(result.engines)) {
    const ok = runs
      .filter((r) => typeof r.roll_ms === 'number')
      .map((r) => r.roll_ms)
      .sort((a, b) => a - b);
    result.engines[name] = {
      roll_ms_median: ok.length ? ok[Math.floor(ok.length / 2)] : null,
      runs,
    };
  }
  result.loadavg_end = loadavg().map((x) => Math.round(x * 100) / 100);
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exitCode = Object.values(result.engines).some((e) => e.runs.some((r) => r.error)) ? 1 : 0;
}

main().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exitCode = 1;
});
