#!/usr/bin/env node
// bench/swarm-cluster/leader-failover: how long a swarm of 3 managers (+1 worker) takes to accept
// a write again after kill -9 of its leader's daemon. Measured from the kill to the first write
// (a `service update` of a service's replica count through the Engine API of a surviving manager)
// that succeeds; polled every POLL_MS. flotilla: N kills, the old leader restarted in between
// (it rejoins as a follower). Docker 20.10 beside it when installed and the dockerd-per-netns
// helper (bench/swarm-cluster/docker-nodes.js) is there: one kill (a killed dockerd is not
// restarted by that helper, and a second kill of the remaining two would lose quorum); otherwise
// Docker's documented defaults are printed, marked not measured.
// flotilla's machines are `flotilla machine`s made through test/cluster/cluster.ts (loaded through
// typescript's transpiler, like bench/swarm-cluster/run.js). Every step has a timeout; all machines
// are removed afterwards, also on failure or Ctrl-C. Runs as root; needs a build (`npx tsc -b`).
// Usage: node bench/swarm-cluster/leader-failover.js [kills=3]
// Prints one JSON line: { engines: { flotilla: { leader_failover_ms: [..], median }, ... } }
'use strict';
const { existsSync, mkdtempSync } = require('node:fs');
const { cpus, loadavg } = require('node:os');
const { join } = require('node:path');

const ROOT = join(__dirname, '../..');
const KILLS = Math.max(1, Math.min(5, Number(process.argv[2] || 3)));
const POLL_MS = 25;
const FAILOVER_TIMEOUT_MS = 60_000;
const IMAGE = 'web:1';
const SCRIPT = 'trap "exit 0" TERM; mkdir -p /www; hostname > /www/index.html; httpd -f -p 80 -h /www & wait';
// swarmkit's defaults (docker swarm init): 1 s ticks, election after 10 ticks without a heartbeat
// (randomized up to 2x), so a new leader after ~10-20 s; the API answers writes once it is elected.
const DOCKER_DEFAULTS = {
  raft_tick_s: 1,
  election_ticks: 10,
  expected_failover_s: '10-20',
  source:
    'swarmkit manager/state/raft: DefaultRaftConfig ElectionTick 10, HeartbeatTick 1, TickInterval 1s (docker swarm init defaults)',
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => Number(process.hrtime.bigint()) / 1e6;
const log = (...a) => process.stderr.write(`[leader-failover] ${a.join(' ')}\n`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length
    ? s.length % 2
      ? s[(s.length - 1) / 2]
      : Math.round((s[s.length / 2 - 1] + s[s.length / 2]) / 2)
    : null;
};
let aborted = false;

const { requireTs } = require('../lib/require-ts');

/** Polls `probe` until it returns a truthy value; null on timeout or Ctrl-C. */
async function until(probe, timeoutMs, everyMs = POLL_MS) {
  const deadline = now() + timeoutMs;
  while (!aborted && now() < deadline) {
    try {
      const v = await probe();
      if (v) return v;
    } catch {
      /* a manager in the middle of a failover: poll again */
    }
    await sleep(everyMs);
  }
  return null;
}

/** One write through `call` (an Engine API client): the service's replica count set to `n`. */
async function scale(call, service, n) {
  const svc = await call('GET', `/services/${service}`);
  await call('POST', `/services/${svc.ID}/update?version=${svc.Version.Index}`, {
    ...svc.Spec,
    Mode: { Replicated: { Replicas: n } },
  });
  return true;
}

/**
 * kill -9 of the leader, then writes through the survivors until one is accepted. `e` gives:
 * leader() (the leading member), survivors(leader), kill(member) (resolves with the kill time),
 * call(member) (an API client).
 */
async function failover(e, replicas) {
  const lead = await until(() => e.leader(), 30_000, 100);
  if (!lead) throw new Error('no leader before the kill');
  const survivors = e.survivors(lead);
  const killedAt = await e.kill(lead);
  let i = 0;
  const ok = await until(() => scale(e.call(survivors[i++ % survivors.length]), 'web', replicas), FAILOVER_TIMEOUT_MS);
  if (!ok) throw new Error(`no write accepted within ${FAILOVER_TIMEOUT_MS} ms of the kill`);
  return { ms: Math.round(now() - killedAt), killed: lead };
}

async function flotilla() {
  const { Cluster, api } = requireTs(join(ROOT, 'test/cluster/cluster.ts'));
  let c = null;
  const t0 = now();
  try {
    c = await Cluster.create({ roles: ['manager', 'manager', 'manager', 'worker'], prefix: 'lf', log });
    await c.loadImage(IMAGE);
    await c.ok(c.manager, ['service', 'create', '--name', 'web', '--replicas', '4', IMAGE, 'sh', '-c', SCRIPT]);
    const setup_ms = Math.round(now() - t0);
    const managers = c.machines.filter((m) => m.role === 'manager');
    const alive = new Set(managers);
    const call = (m) => (method, path, body) => api(m.socket, method, path, body, 2000);
    const e = {
      leader: async () => {
        const via = [...alive][0];
        const nodes = await api(via.socket, 'GET', '/nodes', undefined, 2000);
        const id = nodes.find((n) => n.ManagerStatus && n.ManagerStatus.Leader)?.ID;
        return managers.find((m) => m.nodeId === id && alive.has(m));
      },
      survivors: (lead) => managers.filter((m) => m !== lead),
      kill: async (m) => {
        alive.delete(m);
        const at = now();
        await c.killDaemon(m);
        return at;
      },
      call,
    };
    const samples = [];
    for (let k = 0; k < KILLS && !aborted; k++) {
      const r = await failover(e, 4 + ((k + 1) % 2));
      samples.push(r.ms);
      log(`flotilla kill ${k + 1}: ${r.ms} ms (leader ${r.killed.name})`);
      // Back to three managers before the next kill: the old leader rejoins as a follower.
      await c.startDaemon(r.killed);
      alive.add(r.killed);
      const back = await until(
        async () => {
          const nodes = await api([...alive].find((m) => m !== r.killed).socket, 'GET', '/nodes', undefined, 2000);
          return managers.every((m) => {
            const n = nodes.find((x) => x.ID === m.nodeId);
            return n && n.ManagerStatus && (n.ManagerStatus.Leader || n.ManagerStatus.Reachability === 'reachable');
          });
        },
        30_000,
        100,
      );
      if (!back) throw new Error(`${r.killed.name} did not rejoin as a reachable manager within 30 s`);
    }
    return {
      roles: ['manager', 'manager', 'manager', 'worker'],
      setup_ms,
      election_timeout_ms: '400-800',
      leader_failover_ms: samples,
      median: median(samples),
    };
  } finally {
    if (c) await c.destroy();
  }
}

async function docker() {
  const helper = join(__dirname, 'docker-nodes.js');
  if (!existsSync('/usr/sbin/dockerd')) throw new Error('Docker 20.10 not installed (/usr/sbin/dockerd)');
  if (!existsSync(helper))
    throw new Error('bench/swarm-cluster/docker-nodes.js (dockerd per netns) is not in this tree');
  const { startDockerNodes } = require(helper);
  const { makeBusyboxRootfsTar } = require(join(ROOT, 'packages/engine-core/dist/testing/busybox-rootfs.js'));
  const dir = mkdtempSync('/tmp/fllf-');
  const t0 = now();
  let cluster = null;
  try {
    cluster = await startDockerNodes(dir, 4, (process.pid % 46656).toString(36));
    const [mgr, ...rest] = cluster.nodes;
    const managers = [mgr, rest[0], rest[1]];
    const init = await mgr.cli(['swarm', 'init', '--advertise-addr', mgr.ip]);
    if (init.code !== 0) throw new Error(`swarm init: ${init.stderr.trim()}`);
    for (const [n, role] of [
      [rest[0], 'manager'],
      [rest[1], 'manager'],
      [rest[2], 'worker'],
    ]) {
      const token = (await mgr.cli(['swarm', 'join-token', '-q', role])).stdout.trim();
      const j = await n.cli(['swarm', 'join', '--token', token, `${mgr.ip}:2377`]);
      if (j.code !== 0) throw new Error(`swarm join on ${n.name}: ${j.stderr.trim()}`);
    }
    const { tar } = makeBusyboxRootfsTar(dir);
    for (const n of cluster.nodes) {
      const imp = await n.cli(['import', tar, IMAGE]);
      if (imp.code !== 0) throw new Error(`import on ${n.name}: ${imp.stderr.trim()}`);
      n.nodeId = (await n.api('GET', '/info')).Swarm.NodeID;
    }
    const created = await mgr.cli([
      'service',
      'create',
      '--detach',
      '--no-resolve-image',
      '--name',
      'web',
      '--replicas',
      '4',
      IMAGE,
      'sh',
      '-c',
      SCRIPT,
    ]);
    if (created.code !== 0) throw new Error(`service create: ${created.stderr.trim()}`);
    const setup_ms = Math.round(now() - t0);
    const version = (await mgr.cli(['version', '--format', '{{.Server.Version}}'])).stdout.trim() || null;
    const { request } = require('node:http');
    const call = (n) => (method, path, body) =>
      new Promise((resolve, reject) => {
        const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
        const req = request(
          {
            socketPath: n.sock,
            method,
            path: `/v1.41${path}`,
            agent: false,
            timeout: 2000,
            headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {},
          },
          (res) => {
            const chunks = [];
            res.on('data', (x) => chunks.push(x));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString();
              if (res.statusCode >= 400) reject(new Error(`${method} ${path}: ${res.statusCode} ${text.trim()}`));
              else resolve(text ? JSON.parse(text) : undefined);
            });
          },
        );
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', reject);
        req.end(data);
      });
    const r = await failover(
      {
        leader: async () => {
          const nodes = await mgr.api('GET', '/nodes');
          const id = nodes.find((n) => n.ManagerStatus && n.ManagerStatus.Leader)?.ID;
          return managers.find((m) => m.nodeId === id);
        },
        survivors: (lead) => managers.filter((m) => m !== lead),
        kill: async (n) => {
          const at = now();
          n.kill();
          await until(async () => n.daemon.exitCode !== null || n.daemon.signalCode !== null, 10_000);
          return at;
        },
        call,
      },
      5,
    );
    log(`docker kill 1: ${r.ms} ms`);
    return {
      version,
      setup_ms,
      leader_failover_ms: [r.ms],
      median: r.ms,
      note: 'one kill: the helper does not restart a killed dockerd',
    };
  } finally {
    if (cluster) await cluster.stop();
  }
}

async function main() {
  if (process.getuid && process.getuid() !== 0)
    throw new Error('run as root: machines are network namespaces, containers need runc');
  const result = {
    bench: 'swarm-cluster/leader-failover',
    kills: KILLS,
    cpus: cpus().length,
    loadavg_start: loadavg().map((x) => Math.round(x * 100) / 100),
    goal_ms: 2000,
    engines: {},
  };
  const onSignal = () => {
    aborted = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const only = process.env.SWARM_CLUSTER_ONLY; // 'flotilla' or 'docker-20.10': one engine (debugging)
  for (const [name, fn] of [
    ['flotilla', flotilla],
    ['docker-20.10', docker],
  ].filter(([n]) => !only || n === only)) {
    if (aborted) break;
    try {
      result.engines[name] = await fn();
    } catch (err) {
      log(`${name} failed: ${err.stack}`);
      result.engines[name] = { error: err.message };
    }
    log(`${name}: ${JSON.stringify(result.engines[name])}`);
  }
  const d = result.engines['docker-20.10'];
  if (!d || d.error) result.docker_documented_defaults_not_measured = DOCKER_DEFAULTS;
  result.loadavg_end = loadavg().map((x) => Math.round(x * 100) / 100);
  if (aborted) result.error = 'interrupted';
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exitCode = result.engines.flotilla?.error || aborted ? 1 : 0;
}

main().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exitCode = 1;
});
