#!/usr/bin/env node
// bench/dns: the embedded DNS answering a container's name over UDP, from the host, against
// dnsmasq (Debian's dnsmasq-base) answering the same name from a --host-record on the same
// address (another port), measured in the same run with the same load generator (client.js, a
// separate process). Rounds alternate between the two so that both see the same machine load. Prints one JSON object as the last line.
// Runs as root (a real network and sandbox); build first: npx tsc -b packages/engine-core
// Env: DURATION_MS per measurement (default 2000), ROUNDS (default 2), CONCURRENCY (default 16).
'use strict';
const { execFile, spawn } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { promisify } = require('node:util');

const ROOT = join(__dirname, '../..');
const engine = require(join(ROOT, 'packages/engine-core/dist/index.js'));
const { median, runMain } = require('../lib/common');
const DURATION_MS = Number(process.env.DURATION_MS ?? 2000);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);
const run = promisify(execFile);

async function load(host, port, name, expected) {
  const { stdout } = await run(
    process.execPath,
    [join(__dirname, 'client.js'), host, String(port), name, String(CONCURRENCY), String(DURATION_MS), expected],
    { timeout: DURATION_MS + 20_000 },
  );
  return JSON.parse(stdout.trim().split('\n').pop());
}

async function which(cmd) {
  try {
    await run('sh', ['-c', `command -v ${cmd}`]);
    return true;
  } catch {
    return false;
  }
}

/**
 * dnsmasq on the same gateway address (another port: 53 is ours), so that its queries take the
 * same kernel path (lo, conntrack, the NAT chains); it answers `name` from a host record, with no
 * upstream and no hosts file.
 */
async function startDnsmasq(address, name, ip) {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(
    'dnsmasq',
    [
      '--keep-in-foreground',
      '--no-daemon',
      '--conf-file=/dev/null',
      '--no-resolv',
      '--no-hosts',
      '--bind-interfaces',
      `--listen-address=${address}`,
      `--port=${port}`,
      `--host-record=${name},${ip}`,
      '--cache-size=1000',
      '--user=root',
      '--pid-file=',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  await new Promise((r) => setTimeout(r, 300));
  if (child.exitCode !== null) throw new Error(`dnsmasq exited: ${err}`);
  return { child, port };
}

async function main() {
  const tmp = mkdtempSync(join(tmpdir(), 'flotilla-bench-dns-'));
  const paths = engine.dataPaths(join(tmp, 'root'));
  const svc = new engine.BridgeNetworkService({ paths, sandboxPool: 0, dns: { upstreams: [] } });
  let dnsmasq;
  try {
    await svc.init();
    const net = await svc.create({ name: 'benchnet' });
    const gateway = net.IPAM.Config[0].Gateway;
    if (svc.dnsNameserver('benchnet') !== gateway)
      throw new Error(`the embedded DNS did not start on ${gateway}:53 (port taken?)`);
    const id = 'be'.repeat(32);
    const sandbox = await svc.createSandbox(id, 'web', 'benchnet', { aliases: ['www'] });
    const ip = sandbox.endpoints[0].ipAddress;
    const haveDnsmasq = await which('dnsmasq');
    if (haveDnsmasq) dnsmasq = await startDnsmasq(gateway, 'web', ip);

    const ours = [];
    const theirs = [];
    await load(gateway, 53, 'web', ip); // warm-up
    for (let r = 0; r < ROUNDS; r++) {
      ours.push(await load(gateway, 53, 'web', ip));
      if (dnsmasq) theirs.push(await load(gateway, dnsmasq.port, 'web', ip));
    }
    const summary = (rs) =>
      rs.length === 0
        ? null
        : {
            qps: median(rs.map((x) => x.qps)),
            p50_us: median(rs.map((x) => x.p50_us)),
            p99_us: median(rs.map((x) => x.p99_us)),
            wrong: rs.reduce((n, x) => n + x.wrong, 0),
            lost: rs.reduce((n, x) => n + x.lost, 0),
            runs: rs,
          };
    const result = {
      bench: 'dns',
      concurrency: CONCURRENCY,
      duration_ms: DURATION_MS,
      rounds: ROUNDS,
      embedded: summary(ours),
      dnsmasq: haveDnsmasq ? summary(theirs) : null,
      note: haveDnsmasq
        ? 'dnsmasq on the same gateway address (another port), --host-record, no upstream'
        : 'dnsmasq not installed (apt-get install dnsmasq-base): anchor skipped',
    };
    if (result.embedded && result.dnsmasq)
      result.ratio_qps = Math.round((result.embedded.qps / result.dnsmasq.qps) * 100) / 100;
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    if (dnsmasq && dnsmasq.child.exitCode === null) {
      const gone = new Promise((r) => dnsmasq.child.once('exit', r));
      dnsmasq.child.kill();
      await gone;
    }
    await svc.teardown().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  }
}

runMain(main);
