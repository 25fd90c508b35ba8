#!/usr/bin/env node
// bench/engine-start: median (and p90) time to run `true` in a container, four ways, measured in
// the same run so the ratios compare like with like:
//   api    create + start + wait + remove through the local API (what an SDK or the worker does)
//   cli    `flotilla run --rm IMAGE true` as a user types it (a fresh node process each time)
//   runc   bare `runc run` of the same rootfs with a `runc spec` config (the floor)
//   docker_none    `docker run --rm --network none` on a private dockerd this script starts when
//                  Debian's docker.io is installed (null otherwise); docker_bridge: the same on the
//                  default bridge (its own bridge, no iptables rules)
// Runs as root; needs a build (`npx tsc -b`). Usage: node bench/engine-start/run.js [iterations]
'use strict';
const { execFile, execFileSync } = require('node:child_process');
const { mkdtempSync, rmSync, writeFileSync, readFileSync, mkdirSync } = require('node:fs');
const http = require('node:http');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const ROOT = join(__dirname, '../..');
const engine = require(join(ROOT, 'packages/engine-core/dist/index.js'));
const { makeBusyboxRootfs, makeBusyboxRootfsTar } = require(
  join(ROOT, 'packages/engine-core/dist/testing/busybox-rootfs.js'),
);
const BIN = join(ROOT, 'packages/stack-cli/bin/flotilla');
const { startPrivateDockerd } = require('./dockerd');
const { round1, runMain, stats } = require('../lib/common');
const N = Number(process.argv[2] || 30);
const WARMUP = 3;

/**
 * Time every variant once per round, rounds repeated N times: on a shared machine the load moves
 * under a benchmark, and interleaving makes every variant see the same load.
 */
async function measureInterleaved(variants) {
  const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let round = -WARMUP; round < N; round++) {
    for (const [name, fn] of Object.entries(variants)) {
      const t0 = process.hrtime.bigint();
      await fn();
      if (round >= 0) samples[name].push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, stats(v)]));
}

function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { ...opts, encoding: 'utf8' }, (err, stdout, stderr) =>
      err ? reject(Object.assign(err, { stdout, stderr })) : resolve(stdout),
    );
  });
}

function api(socketPath, agent, method, path, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(
      {
        socketPath,
        agent,
        method,
        path: `/v1.41${path}`,
        headers: data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {},
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          if (res.statusCode >= 400) reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`));
          else resolve(text ? JSON.parse(text) : undefined);
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

async function main() {
  if (process.getuid && process.getuid() !== 0)
    throw new Error('run as root: containers need runc with namespaces and cgroups');
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-engine-'));
  const dataRoot = join(dir, 'root');
  const sock = join(dir, 'flotilla.sock');
  const host = `unix://${sock}`;
  const runcRoot = join(dir, 'runc-state');
  let daemon;
  let docker = null;
  const agent = new http.Agent({ keepAlive: true });
  try {
    daemon = await engine.startDaemon({ dataRoot, host });
    const { tar } = makeBusyboxRootfsTar(dir);
    await run(process.execPath, [BIN, '-H', host, 'import', tar, 'bench:latest']);

    // The runc floor: same busybox rootfs, the stock `runc spec` with `true` as the process.
    const bundle = join(dir, 'bundle');
    mkdirSync(bundle);
    makeBusyboxRootfs(join(bundle, 'rootfs'));
    execFileSync('runc', ['spec', '--bundle', bundle]);
    const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
    spec.process.terminal = false;
    spec.process.args = ['true'];
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
    let k = 0;
    const variants = {
      runc: () => run('runc', ['--root', runcRoot, 'run', '--bundle', bundle, `bench-${process.pid}-${k++}`]),
      api: async () => {
        const { Id } = await api(sock, agent, 'POST', '/containers/create', { Image: 'bench:latest', Cmd: ['true'] });
        await api(sock, agent, 'POST', `/containers/${Id}/start`);
        const w = await api(sock, agent, 'POST', `/containers/${Id}/wait`);
        if (w.StatusCode !== 0) throw new Error(`exit ${w.StatusCode}`);
        await api(sock, agent, 'DELETE', `/containers/${Id}`);
      },
      cli: () => run(process.execPath, [BIN, '-H', host, 'run', '--rm', 'bench:latest', 'true']),
      // The floor under the CLI figure: starting node itself.
      node_startup: () => run(process.execPath, ['-e', '0']),
    };
    docker = await startPrivateDockerd();
    if (docker) {
      await docker.run(['import', tar, 'flotilla-bench:latest']);
      variants.docker_none = () => docker.run(['run', '--rm', '--network', 'none', 'flotilla-bench:latest', 'true']);
      variants.docker_bridge = () => docker.run(['run', '--rm', 'flotilla-bench:latest', 'true']);
    }
    const m = await measureInterleaved(variants);
    const runcStats = m.runc;
    const apiStats = m.api;
    const cliStats = m.cli;
    const nodeStats = m.node_startup;
    const dockerStats = m.docker_none ?? null;

    const ratio = (x) => (x ? round1(x.median_ms / runcStats.median_ms) : null);
    const result = {
      bench: 'engine-start',
      iterations: N,
      runc: runcStats,
      api: apiStats,
      cli: cliStats,
      docker: dockerStats,
      docker_bridge: m.docker_bridge ?? null,
      docker_version: docker ? docker.version : null,
      node_startup: nodeStats,
      ratios: {
        api_vs_runc: ratio(apiStats),
        cli_vs_runc: ratio(cliStats),
        docker_vs_runc: ratio(dockerStats),
        docker_bridge_vs_runc: ratio(m.docker_bridge),
      },
      goals: { api_vs_runc: 2, cli_vs_runc: 8 },
      met: { api: ratio(apiStats) <= 2, cli: ratio(cliStats) <= 8 },
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    agent.destroy(); // its keep-alive sockets to the daemon, also when a variant failed
    if (docker) await docker.stop();
    if (daemon) await daemon.close();
    await engine.purgeDaemonState(dataRoot, { removeData: true });
    try {
      execFileSync('runc', ['--root', runcRoot, 'list', '-q'], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .forEach((id) => execFileSync('runc', ['--root', runcRoot, 'delete', '--force', id]));
    } catch {
      /* no runc state */
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

runMain(main);
