#!/usr/bin/env node
// Raft benchmark: three kv-server processes on loopback (fsync on), and the same load against a
// three-member etcd when it is installed. Last line of stdout: one JSON object with the figures.
//   failover_ms      kill -9 of the leader until the first write acknowledged by the new leader (median of rounds)
//   commit_p50/p99   single proposer, propose() -> applied on the leader, in process (no HTTP)
//   throughput_per_s 64 concurrent in-process proposers, 64-byte values, committed and applied per second
//   http_*           the same through the kv-server HTTP API, to compare with etcd's HTTP gateway
//   encryption       commit p50 and throughput with the WAL and snapshots encrypted at rest (AES-256-GCM,
//                    a fresh nonce per record) against the same load unencrypted: two clusters side by
//                    side, alternating blocks (BENCH_CRYPT_BLOCKS), medians of the paired costs in percent
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { freePort } = require('../lib/common');

const ROOT = path.resolve(__dirname, '../..');
const KV_SERVER = path.join(ROOT, 'packages/raft/dist/example/kv-server.js');
const FAILOVER_ROUNDS = Number(process.env.BENCH_FAILOVER_ROUNDS || 3);
const LAT_COUNT = Number(process.env.BENCH_LAT_COUNT || 2000);
const TP_MS = Number(process.env.BENCH_TP_MS || 3000);
const CRYPT_BLOCKS = Number(process.env.BENCH_CRYPT_BLOCKS || 10);
const CLIENTS = 64;
const VALUE = 'x'.repeat(64);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => process.stderr.write(a.join(' ') + '\n');
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function request(hostport, method, p, body, timeoutMs = 3000) {
  return new Promise((resolve, reject) => {
    const [host, port] = hostport.split(':');
    const req = http.request(
      {
        host,
        port,
        method,
        path: p,
        agent,
        timeout: timeoutMs,
        headers: body ? { 'content-length': Buffer.byteLength(body) } : {},
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let json = null;
          try {
            json = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

function pct(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : null;
}
const round = (x) => (x === null || x === undefined ? null : Math.round(x * 1000) / 1000);
const median = (xs) =>
  pct(
    [...xs].sort((a, b) => a - b),
    50,
  );

async function until(what, f, ms = 20000) {
  const t0 = Date.now();
  for (;;) {
    const v = await f().catch(() => null);
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Shared load drivers: `put(target, i)` returns true when acknowledged. */
async function latency(put, target, count) {
  const lat = [];
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    if (!(await put(target, i))) throw new Error('write failed during the latency run');
    lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  lat.sort((a, b) => a - b);
  return { p50: pct(lat, 50), p99: pct(lat, 99) };
}

async function throughput(put, target, clients, ms) {
  const end = Date.now() + ms;
  let ok = 0;
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; Date.now() < end; i++) if (await put(target, c * 1e6 + i).catch(() => false)) ok++;
    }),
  );
  return ok / ((Date.now() - t0) / 1000);
}

/** kill -9 the leader, then write to the survivors until one acknowledges. */
async function failover(kill, survivors, put) {
  const t0 = Date.now();
  await kill();
  for (let i = 0; ; i++) {
    if (Date.now() - t0 > 20000) throw new Error('no write acknowledged within 20 s after killing the leader');
    const oks = await Promise.all(survivors.map((s) => put(s, `fo${i}`, 200).catch(() => false)));
    if (oks.some(Boolean)) return Date.now() - t0;
    await sleep(2);
  }
}

// ---- flotilla -------------------------------------------------------------------------------

class KvProcs {
  constructor(root, extraArgs = []) {
    this.root = root;
    this.extraArgs = extraArgs;
    this.members = [];
    this.procs = new Map();
  }
  async init(ids) {
    for (const id of ids)
      this.members.push({ id, raft: `127.0.0.1:${await freePort()}`, http: `127.0.0.1:${await freePort()}` });
  }
  async start(id) {
    const m = this.members.find((x) => x.id === id);
    const args = [
      KV_SERVER,
      '--id',
      id,
      '--data',
      path.join(this.root, id),
      '--raft',
      m.raft,
      '--http',
      m.http,
      '--bootstrap',
      '--snapshot-every',
      '20000',
      ...this.extraArgs,
    ];
    for (const p of this.members) if (p.id !== id) args.push('--peer', `${p.id}=${p.raft}`);
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FLOTILLA_LOG_LEVEL: 'error' },
    });
    this.procs.set(id, child);
    let out = '';
    child.stderr.on('data', (b) => (out = (out + b).slice(-4000)));
    await new Promise((resolve, reject) => {
      child.stdout.on('data', (b) => {
        out += b;
        if (out.includes('"ready":true')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`kv-server ${id} exited (${code}): ${out}`)));
    });
  }
  async kill(id) {
    const p = this.procs.get(id);
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
    this.procs.delete(id);
  }
  http(id) {
    return this.members.find((m) => m.id === id).http;
  }
  async leader(ids) {
    for (const id of ids) {
      const r = await request(this.http(id), 'GET', '/status', null, 1000).catch(() => null);
      if (r && r.json && r.json.role === 'leader') return id;
    }
    return null;
  }
  async destroy() {
    for (const id of [...this.procs.keys()]) await this.kill(id);
  }
}

async function benchFlotilla(root) {
  const ids = ['a', 'b', 'c'];
  const c = new KvProcs(path.join(root, 'flotilla'));
  try {
    await c.init(ids);
    await Promise.all(ids.map((id) => c.start(id)));
    let leader = await until('flotilla leader', () => c.leader(ids));
    const lh = c.http(leader);
    const bench = async (q) => (await request(lh, 'POST', `/bench?${q}`, null, 120000)).json;
    await bench('mode=latency&count=300');
    const lat = await bench(`mode=latency&count=${LAT_COUNT}&size=64`);
    log(`flotilla in-process latency: ${JSON.stringify(lat)}`);
    const tp = await bench(`mode=throughput&concurrency=${CLIENTS}&durationMs=${TP_MS}&size=64`);
    log(`flotilla in-process throughput: ${JSON.stringify(tp)}`);

    const put = async (hostport, i, timeoutMs = 3000) =>
      (await request(hostport, 'PUT', `/kv/k${i}`, VALUE, timeoutMs)).status === 200;
    const hlat = await latency(put, lh, Math.min(LAT_COUNT, 1000));
    const htp = await throughput(put, lh, CLIENTS, TP_MS);
    log(`flotilla http: p50 ${hlat.p50} p99 ${hlat.p99} throughput ${htp}`);

    const fo = [];
    for (let r = 0; r < FAILOVER_ROUNDS; r++) {
      leader = await until('flotilla leader', () => c.leader(ids));
      const survivors = ids.filter((id) => id !== leader).map((id) => c.http(id));
      // Steady writes first, so the kill lands on a busy leader.
      for (let i = 0; i < 50; i++) await put(c.http(leader), `pre${r}-${i}`);
      const ms = await failover(() => c.kill(leader), survivors, put);
      fo.push(ms);
      log(`flotilla failover round ${r + 1}: ${ms} ms`);
      await c.start(leader);
      await sleep(300);
    }
    return {
      failover_ms: median(fo),
      failover_rounds_ms: fo,
      commit_p50_ms: round(lat.p50_ms),
      commit_p99_ms: round(lat.p99_ms),
      throughput_per_s: Math.round(tp.per_s),
      http_put_p50_ms: round(hlat.p50),
      http_put_p99_ms: round(hlat.p99),
      http_throughput_per_s: Math.round(htp),
    };
  } finally {
    await c.destroy();
  }
}

/** A 3-member cluster, encrypted at rest or not, ready to take `/bench` calls on its leader. */
async function startKvCluster(root, encrypt) {
  const ids = ['a', 'b', 'c'];
  const c = new KvProcs(root, encrypt ? ['--encrypt'] : []);
  try {
    await c.init(ids);
    await Promise.all(ids.map((id) => c.start(id)));
    const leader = await until('flotilla leader', () => c.leader(ids));
    const bench = async (q) => (await request(c.http(leader), 'POST', `/bench?${q}`, null, 120000)).json;
    await bench('mode=latency&count=300');
    return { c, bench };
  } catch (e) {
    await c.destroy();
    throw e;
  }
}

/** CPU per 64-byte entry record of the cipher alone (AesGcmCipher, the manager's data-key cipher). */
function cipherCost() {
  const { AesGcmCipher } = require(path.join(ROOT, 'packages/raft/dist/storage/aes-gcm-cipher.js'));
  const c = new AesGcmCipher();
  const plain = Buffer.alloc(18 + 64, 1);
  const aad = Buffer.alloc(17);
  const n = 50000;
  const time = (f) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) f();
    return Number(process.hrtime.bigint() - t0) / 1e3 / n;
  };
  time(() => c.open(c.seal(plain, aad), aad));
  const box = c.seal(plain, aad);
  return {
    seal_us_per_record: round(time(() => c.seal(plain, aad))),
    open_us_per_record: round(time(() => c.open(box, aad))),
  };
}

/**
 * Encryption off vs on: both clusters run side by side and are measured in short alternating
 * blocks (latency: LAT_COUNT/10 commits; throughput: TP_MS/3), so the drift of a shared host
 * hits both alike; the cost is the median of the per-block paired differences.
 */
async function benchEncryption(root) {
  const off = await startKvCluster(path.join(root, 'crypt-off'), false);
  let on;
  try {
    on = await startKvCluster(path.join(root, 'crypt-on'), true);
    const blocks = CRYPT_BLOCKS;
    const latCount = Math.max(100, Math.round(LAT_COUNT / 10));
    const tpMs = Math.max(500, Math.round(TP_MS / 3));
    const rows = [];
    for (let i = 0; i < blocks; i++) {
      const row = {};
      for (const [mode, k] of i % 2 === 0
        ? [
            ['off', off],
            ['on', on],
          ]
        : [
            ['on', on],
            ['off', off],
          ]) {
        const lat = await k.bench(`mode=latency&count=${latCount}&size=64`);
        const tp = await k.bench(`mode=throughput&concurrency=${CLIENTS}&durationMs=${tpMs}&size=64`);
        row[mode] = { p50: lat.p50_ms, tp: tp.per_s };
      }
      rows.push(row);
      log(`flotilla encryption block ${i + 1}: ${JSON.stringify(row)}`);
    }
    const med = (f) => median(rows.map(f));
    return {
      off: { commit_p50_ms: round(med((r) => r.off.p50)), throughput_per_s: Math.round(med((r) => r.off.tp)) },
      on: { commit_p50_ms: round(med((r) => r.on.p50)), throughput_per_s: Math.round(med((r) => r.on.tp)) },
      // Cost as a share of the unencrypted figure of the same block: slower commits, fewer per second.
      commit_p50_cost_pct: round(med((r) => ((r.on.p50 - r.off.p50) / r.off.p50) * 100)),
      throughput_cost_pct: round(med((r) => ((r.off.tp - r.on.tp) / r.off.tp) * 100)),
      blocks,
      ...cipherCost(),
      cipher: 'AES-256-GCM, random 96-bit nonce per record, segment+offset as associated data',
    };
  } finally {
    await off.c.destroy();
    if (on) await on.c.destroy();
  }
}

// ---- etcd -----------------------------------------------------------------------------------

function findEtcd() {
  for (const p of ['/usr/bin/etcd', '/usr/local/bin/etcd']) if (fs.existsSync(p)) return p;
  return null;
}

async function benchEtcd(root, bin) {
  const names = ['e1', 'e2', 'e3'];
  const m = [];
  for (const name of names)
    m.push({ name, client: `127.0.0.1:${await freePort()}`, peer: `127.0.0.1:${await freePort()}` });
  const initial = m.map((x) => `${x.name}=http://${x.peer}`).join(',');
  const procs = new Map();
  const start = (x) => {
    const child = spawn(
      bin,
      [
        '--name',
        x.name,
        '--data-dir',
        path.join(root, 'etcd', x.name),
        '--listen-client-urls',
        `http://${x.client}`,
        '--advertise-client-urls',
        `http://${x.client}`,
        '--listen-peer-urls',
        `http://${x.peer}`,
        '--initial-advertise-peer-urls',
        `http://${x.peer}`,
        '--initial-cluster',
        initial,
        '--initial-cluster-state',
        'new',
        '--initial-cluster-token',
        'flotilla-bench',
        '--log-level',
        'error',
        '--logger',
        'zap',
      ],
      { stdio: 'ignore' },
    );
    procs.set(x.name, child);
  };
  const kill = async (name) => {
    const p = procs.get(name);
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
    procs.delete(name);
  };
  const b64 = (s) => Buffer.from(String(s)).toString('base64');
  const put = async (client, i, timeoutMs = 3000) =>
    (await request(client, 'POST', '/v3/kv/put', JSON.stringify({ key: b64(`k${i}`), value: b64(VALUE) }), timeoutMs))
      .status === 200;
  const leaderOf = async (alive) => {
    for (const x of alive) {
      const r = await request(x.client, 'POST', '/v3/maintenance/status', '{}', 1000).catch(() => null);
      if (r && r.json && r.json.leader && r.json.header && r.json.leader === r.json.header.member_id) return x;
    }
    return null;
  };
  try {
    m.forEach(start);
    let leader = await until('etcd leader', () => leaderOf(m));
    await latency(put, leader.client, 200);
    const lat = await latency(put, leader.client, Math.min(LAT_COUNT, 1000));
    const tp = await throughput(put, leader.client, CLIENTS, TP_MS);
    log(`etcd http: p50 ${lat.p50} p99 ${lat.p99} throughput ${tp}`);
    const fo = [];
    for (let r = 0; r < FAILOVER_ROUNDS; r++) {
      leader = await until('etcd leader', () => leaderOf(m));
      const survivors = m.filter((x) => x !== leader).map((x) => x.client);
      for (let i = 0; i < 50; i++) await put(leader.client, `pre${r}-${i}`);
      const dead = leader;
      const ms = await failover(() => kill(dead.name), survivors, put);
      fo.push(ms);
      log(`etcd failover round ${r + 1}: ${ms} ms`);
      const child = spawn(
        bin,
        [
          '--name',
          dead.name,
          '--data-dir',
          path.join(root, 'etcd', dead.name),
          '--listen-client-urls',
          `http://${dead.client}`,
          '--advertise-client-urls',
          `http://${dead.client}`,
          '--listen-peer-urls',
          `http://${dead.peer}`,
          '--initial-advertise-peer-urls',
          `http://${dead.peer}`,
          '--initial-cluster',
          initial,
          '--log-level',
          'error',
          '--logger',
          'zap',
        ],
        { stdio: 'ignore' },
      );
      procs.set(dead.name, child);
      await until(
        'etcd member back',
        async () => (await request(dead.client, 'GET', '/health', null, 500)).status === 200,
      );
      await sleep(300);
    }
    return {
      version: require('node:child_process').execFileSync(bin, ['--version']).toString().split('\n')[0],
      failover_ms: median(fo),
      failover_rounds_ms: fo,
      commit_p50_ms: round(lat.p50),
      commit_p99_ms: round(lat.p99),
      throughput_per_s: Math.round(tp),
      via: 'v3 HTTP gateway, single client for latency, 64 clients for throughput',
    };
  } finally {
    for (const name of [...procs.keys()]) await kill(name);
  }
}

/** The disk's own fdatasync latency right now: the floor under any commit latency. */
function fsyncProbe(dir) {
  const file = path.join(dir, 'fsync-probe');
  const fd = fs.openSync(file, 'w');
  const buf = Buffer.alloc(256);
  const t = [];
  for (let i = 0; i < 200; i++) {
    const t0 = process.hrtime.bigint();
    fs.writeSync(fd, buf);
    fs.fdatasyncSync(fd);
    t.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  fs.closeSync(fd);
  fs.rmSync(file);
  t.sort((a, b) => a - b);
  return { p50_ms: round(pct(t, 50)), p99_ms: round(pct(t, 99)) };
}

async function main() {
  if (!fs.existsSync(KV_SERVER)) {
    log(`${KV_SERVER} is missing: run \`npm run build\` first`);
    process.exit(2);
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-bench-raft-'));
  const cleanup = () => fs.rmSync(root, { recursive: true, force: true });
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    const disk = fsyncProbe(root);
    log(`disk fdatasync: ${JSON.stringify(disk)}`);
    const ours = await benchFlotilla(root);
    const encryption = await benchEncryption(root);
    const out = {
      ...ours,
      encryption,
      fsync: true,
      nodes: 3,
      value_bytes: 64,
      clients: CLIENTS,
      disk_fdatasync: disk,
      load_avg_1m: round(os.loadavg()[0]),
    };
    const etcdBin = findEtcd();
    if (etcdBin) {
      try {
        out.etcd = await benchEtcd(root, etcdBin);
      } catch (e) {
        out.etcd = { error: String(e && e.message ? e.message : e) };
      }
    }
    out.goals = {
      failover_ms: out.failover_ms <= 1000,
      commit_p50_ms: out.commit_p50_ms <= 2,
      throughput_per_s: out.throughput_per_s >= 10000,
      encryption_cost_pct: Math.max(encryption.commit_p50_cost_pct, encryption.throughput_cost_pct) < 10,
    };
    process.stdout.write(JSON.stringify(out) + '\n');
  } finally {
    agent.destroy();
    cleanup();
  }
}

// No process.exit: every path above kills its processes and destroys the agent, so node ends by itself.
main().catch((e) => {
  log(e && e.stack ? e.stack : String(e));
  process.exitCode = 1;
});
