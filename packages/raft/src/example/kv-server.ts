// An example program: one Raft member with a replicated key-value map, served over HTTP on loopback.
// Used by the real-process test (test/raft/) and the benchmark (bench/raft/); run from dist:
//   node packages/raft/dist/example/kv-server.js --id a --data DIR --raft 127.0.0.1:7001 \
//     --http 127.0.0.1:8001 --peer b=127.0.0.1:7002 --peer c=127.0.0.1:7003 --bootstrap
// Arguments are read only when it runs as the main module.
import http from 'node:http';
import { parseArgs } from 'node:util';
import pino, { type Logger } from 'pino';
import { LeadershipLostError, NodeStoppedError, NotLeaderError, ProposalTimeoutError } from '../node/errors';
import { encodeKv, KvStateMachine, type KvResult } from '../node/kv-state-machine';
import { RaftNode } from '../node/raft-node';
import { AesGcmCipher } from '../storage/aes-gcm-cipher';

/** The command line: node's own parser, inferred option types. */
function parseArguments(args: string[] = process.argv.slice(2)) {
  return parseArgs({
    args,
    options: {
      id: { type: 'string' },
      data: { type: 'string' },
      raft: { type: 'string' },
      http: { type: 'string' },
      peer: { type: 'string', multiple: true, default: [] },
      bootstrap: { type: 'boolean', default: false },
      'snapshot-every': { type: 'string', default: '10000' },
      'keep-entries': { type: 'string', default: '1000' },
      'tick-ms': { type: 'string' },
      'election-ticks': { type: 'string' },
      /** Encryption at rest: WAL and snapshots sealed with AES-256-GCM under a random key (bench/raft). */
      encrypt: { type: 'boolean', default: false },
    },
  }).values;
}

/** JSON lines on stderr (stdout carries the ready line), like the daemon's: level from FLOTILLA_LOG_LEVEL. */
function programLogger(id: string | undefined): Logger {
  const level = process.env.FLOTILLA_LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info');
  return pino({ level, base: { pid: process.pid } }, pino.destination(2)).child({ component: 'kv-server', node: id });
}

function required(name: string, v: string | undefined): string {
  if (!v) {
    process.stderr.write(`kv-server: --${name} is required\n`);
    process.exit(2);
  }
  return v;
}

function statusOf(e: unknown): number {
  if (e instanceof NotLeaderError) return 503;
  if (e instanceof ProposalTimeoutError) return 504;
  if (e instanceof LeadershipLostError) return 409;
  if (e instanceof NodeStoppedError) return 503;
  return 500;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const s = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(s) });
  res.end(s);
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** In-process load for the benchmark: measures propose() to applied on this node. */
async function bench(node: RaftNode<KvResult>, q: URLSearchParams): Promise<unknown> {
  const before = node.status().applied;
  const r = await benchRun(node, q);
  return { ...(r as object), log_entries: node.status().applied - before };
}

async function benchRun(node: RaftNode<KvResult>, q: URLSearchParams): Promise<unknown> {
  const mode = q.get('mode') ?? 'latency';
  const size = Number(q.get('size') ?? 64);
  const value = 'v'.repeat(Math.max(0, size - 16));
  if (mode === 'latency') {
    const count = Math.min(Number(q.get('count') ?? 1000), 100_000);
    const lat: number[] = [];
    for (let i = 0; i < count; i++) {
      const t0 = process.hrtime.bigint();
      await node.propose(encodeKv({ op: 'put', key: `lat${i % 1000}`, value }));
      lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    lat.sort((a, b) => a - b);
    return { count, p50_ms: percentile(lat, 50), p99_ms: percentile(lat, 99) };
  }
  const concurrency = Math.min(Number(q.get('concurrency') ?? 64), 4096);
  const durationMs = Math.min(Number(q.get('durationMs') ?? 3000), 30_000);
  const end = Date.now() + durationMs;
  let done = 0;
  let failed = 0;
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      let i = 0;
      while (Date.now() < end) {
        try {
          await node.propose(encodeKv({ op: 'put', key: `tp${w}-${i++ % 100}`, value }));
          done++;
        } catch {
          failed++;
        }
      }
    }),
  );
  const secs = (Date.now() - t0) / 1000;
  return { committed: done, failed, seconds: secs, per_s: done / secs };
}

async function main(): Promise<void> {
  const values = parseArguments();
  const log = programLogger(values.id);
  const id = required('id', values.id);
  const [httpHost, httpPort] = required('http', values.http).split(':');
  const peers: Record<string, string> = {};
  for (const p of values.peer ?? []) {
    const [pid, addr] = p.split('=');
    if (!pid || !addr) throw new Error(`--peer must be id=host:port, got ${p}`);
    peers[pid] = addr;
  }
  const sm = new KvStateMachine();
  const node = await RaftNode.start<KvResult>({
    id,
    dataDir: required('data', values.data),
    listen: required('raft', values.raft),
    peers,
    bootstrap: values.bootstrap,
    stateMachine: sm,
    snapshotEvery: Number(values['snapshot-every']),
    keepEntries: Number(values['keep-entries']),
    tickMs: values['tick-ms'] ? Number(values['tick-ms']) : undefined,
    electionTicks: values['election-ticks'] ? Number(values['election-ticks']) : undefined,
    cipher: values.encrypt ? new AesGcmCipher() : undefined,
    log,
  });

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const route = async (): Promise<void> => {
      if (url.pathname.startsWith('/kv/')) {
        const key = decodeURIComponent(url.pathname.slice(4));
        if (req.method === 'PUT') {
          const value = await readBody(req);
          const r = await node.propose(encodeKv({ op: 'put', key, value }), { timeoutMs: 5000 });
          return send(res, 200, r);
        }
        if (req.method === 'GET') {
          if (url.searchParams.get('consistent') !== '0') await node.read({ timeoutMs: 5000 });
          const v = sm.data.get(key);
          return v === undefined
            ? send(res, 404, { message: `no such key: ${key}` })
            : send(res, 200, { key, value: v });
        }
      }
      if (url.pathname === '/dump' && req.method === 'GET') {
        return send(res, 200, { applied: node.status().applied, data: Object.fromEntries(sm.data) });
      }
      if (url.pathname === '/status' && req.method === 'GET') return send(res, 200, node.status());
      if (url.pathname === '/members' && req.method === 'POST') {
        const b = JSON.parse(await readBody(req)) as { id: string; address: string };
        await node.addMember(b.id, b.address);
        return send(res, 200, node.status());
      }
      if (url.pathname === '/bench' && req.method === 'POST')
        return send(res, 200, await bench(node, url.searchParams));
      send(res, 404, { message: `no route ${req.method} ${url.pathname}` });
    };
    route().catch((e: unknown) => {
      const leader = e instanceof NotLeaderError ? { leader: e.leader, leaderAddress: e.leaderAddress } : {};
      send(res, statusOf(e), { message: (e as Error).message, error: (e as Error).name, ...leader });
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(Number(httpPort), httpHost, resolve));
  process.stdout.write(`${JSON.stringify({ ready: true, id, raft: node.address, http: `${httpHost}:${httpPort}` })}\n`);

  const shutdown = (): void => {
    server.close();
    node.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`kv-server: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
