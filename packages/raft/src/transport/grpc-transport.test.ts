// The transport carries Raft messages unchanged (fields, presence of zero values, snapshot data)
// over real gRPC on loopback, reports unreachable peers, and works with TLS credentials injected.
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { EntryType, MessageType, type Message } from '../types';
import { GrpcTransport, type TransportHandler } from './grpc-transport';

function collector(): TransportHandler & {
  got: Message[];
  unreachable: string[];
  snaps: boolean[];
  waitFor(n: number): Promise<void>;
} {
  const got: Message[] = [];
  const c = {
    got,
    unreachable: [] as string[],
    snaps: [] as boolean[],
    onMessage: (m: Message) => got.push(m),
    onUnreachable: (p: string) => c.unreachable.push(p),
    onSnapshotStatus: (_p: string, ok: boolean) => c.snaps.push(ok),
    async waitFor(n: number) {
      const t0 = Date.now();
      while (got.length < n) {
        if (Date.now() - t0 > 5000) throw new Error(`timed out: got ${got.length}/${n} messages`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
  };
  return c;
}

const started: GrpcTransport[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((t) => t.stop()));
});

async function pair(opts: { server?: grpc.ServerCredentials; channel?: grpc.ChannelCredentials } = {}) {
  const a = new GrpcTransport({
    id: 'a',
    listen: '127.0.0.1:0',
    serverCredentials: opts.server,
    channelCredentials: opts.channel,
    snapshotChunkBytes: 1000,
  });
  const b = new GrpcTransport({
    id: 'b',
    listen: '127.0.0.1:0',
    serverCredentials: opts.server,
    channelCredentials: opts.channel,
    snapshotChunkBytes: 1000,
  });
  started.push(a, b);
  const ha = collector();
  const hb = collector();
  const pa = await a.start(ha);
  const pb = await b.start(hb);
  const host = opts.server ? 'localhost' : '127.0.0.1';
  a.addPeer('b', `${host}:${pb}`);
  b.addPeer('a', `${host}:${pa}`);
  return { a, b, ha, hb };
}

const append: Message = {
  type: MessageType.Append,
  from: 'a',
  to: 'b',
  term: 3,
  index: 0,
  logTerm: 0,
  commit: 0,
  entries: [
    { term: 3, index: 1, type: EntryType.Normal, data: new Uint8Array([1, 2, 3]) },
    { term: 3, index: 2, type: EntryType.ConfChange, data: new Uint8Array(0) },
  ],
};

describe('GrpcTransport', () => {
  it('delivers batches in order with every field intact (zero values keep their presence)', async () => {
    const { a, b, hb, ha } = await pair();
    const msgs: Message[] = [append];
    for (let i = 0; i < 200; i++)
      msgs.push({ type: MessageType.Heartbeat, from: 'a', to: 'b', term: 3, commit: i, context: `r${i}` });
    a.send(msgs);
    await hb.waitFor(201);
    expect(hb.got[0]).toEqual({
      ...append,
      entries: append.entries!.map((e) => ({ ...e, data: expect.any(Uint8Array) })),
    });
    expect(Array.from(hb.got[0]?.entries?.[0]?.data ?? [])).toEqual([1, 2, 3]);
    expect(hb.got.slice(1).map((m) => m.commit)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    b.send([{ type: MessageType.AppendResp, from: 'b', to: 'a', term: 3, index: 2, reject: false }]);
    await ha.waitFor(1);
    expect(ha.got[0]).toEqual({ type: MessageType.AppendResp, from: 'b', to: 'a', term: 3, index: 2, reject: false });
  });

  it('sends snapshots in chunks on a separate call and reports the outcome', async () => {
    const { a, hb, ha } = await pair();
    const data = new Uint8Array(10_500).map((_, i) => i % 251);
    const conf = { voters: ['a', 'b'], learners: ['c'] };
    a.send([
      {
        type: MessageType.Snapshot,
        from: 'a',
        to: 'b',
        term: 4,
        snapshot: { meta: { index: 77, term: 4, conf }, data },
      },
    ]);
    await hb.waitFor(1);
    expect(hb.got[0]?.snapshot?.meta).toEqual({ index: 77, term: 4, conf });
    expect(Buffer.from(hb.got[0]?.snapshot?.data ?? []).equals(Buffer.from(data))).toBe(true);
    const t0 = Date.now();
    while (ha.snaps.length === 0 && Date.now() - t0 < 2000) await new Promise((r) => setTimeout(r, 5));
    expect(ha.snaps).toEqual([true]);
  });

  it('reports an unreachable peer and reconnects when it comes back on the same port', async () => {
    const a = new GrpcTransport({ id: 'a', listen: '127.0.0.1:0', backoffMinMs: 10, backoffMaxMs: 50 });
    started.push(a);
    const ha = collector();
    await a.start(ha);
    const probe = new GrpcTransport({ id: 'b', listen: '127.0.0.1:0' });
    const port = await probe.start(collector());
    await probe.stop();
    a.addPeer('b', `127.0.0.1:${port}`);
    a.send([{ type: MessageType.Heartbeat, from: 'a', to: 'b', term: 1 }]);
    const t0 = Date.now();
    while (ha.unreachable.length === 0 && Date.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 5));
    expect(ha.unreachable).toContain('b');
    const b = new GrpcTransport({ id: 'b', listen: `127.0.0.1:${port}` });
    started.push(b);
    const hb = collector();
    await b.start(hb);
    // Raft resends periodically; so do we until the new server receives one.
    const t1 = Date.now();
    while (hb.got.length === 0 && Date.now() - t1 < 5000) {
      a.send([{ type: MessageType.Heartbeat, from: 'a', to: 'b', term: 1 }]);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(hb.got.length).toBeGreaterThan(0);
  });

  it('bounds the queue to an unreachable peer: beyond the limit messages are dropped, not buffered', async () => {
    const a = new GrpcTransport({
      id: 'a',
      listen: '127.0.0.1:0',
      queueLimit: 3,
      backoffMinMs: 5000,
      backoffMaxMs: 5000,
    });
    started.push(a);
    const ha = collector();
    await a.start(ha);
    const probe = new GrpcTransport({ id: 'b', listen: '127.0.0.1:0' });
    const port = await probe.start(collector());
    await probe.stop();
    a.addPeer('b', `127.0.0.1:${port}`);
    a.send([{ type: MessageType.Heartbeat, from: 'a', to: 'b', term: 1 }]);
    const t0 = Date.now();
    while (ha.unreachable.length === 0 && Date.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 5));
    const before = a.droppedCount();
    // While backing off, at most queueLimit messages wait for the reconnect.
    a.send(
      Array.from({ length: 10 }, (_, i): Message => ({
        type: MessageType.Heartbeat,
        from: 'a',
        to: 'b',
        term: 1,
        commit: i,
      })),
    );
    expect(a.droppedCount() - before).toBe(7);
  });

  it('can serve Raft on a gRPC server owned by the caller (one port for all manager services)', async () => {
    const server = new grpc.Server();
    const b = new GrpcTransport({ id: 'b', listen: 'unused', server });
    started.push(b);
    const hb = collector();
    expect(await b.start(hb)).toBe(0);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    try {
      const a = new GrpcTransport({ id: 'a', listen: '127.0.0.1:0' });
      started.push(a);
      await a.start(collector());
      a.addPeer('b', `127.0.0.1:${port}`);
      a.send([{ type: MessageType.Heartbeat, from: 'a', to: 'b', term: 5 }]);
      await hb.waitFor(1);
      expect(hb.got[0]?.term).toBe(5);
    } finally {
      server.forceShutdown();
    }
  });

  it('drops malformed messages and messages for another node', async () => {
    const { a, b, hb } = await pair();
    a.addPeer('c', `127.0.0.1:${b.port}`);
    a.send([
      { type: 'Bogus', from: 'a', to: 'b', term: 1 } as unknown as Message,
      { type: MessageType.Heartbeat, from: 'a', to: 'c', term: 1 },
      { type: MessageType.Heartbeat, from: 'a', to: 'b', term: 2 },
    ]);
    await hb.waitFor(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(hb.got).toEqual([{ type: MessageType.Heartbeat, from: 'a', to: 'b', term: 2 }]);
  });

  it('works with mutual TLS credentials injected', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'flotilla-tls-'));
    try {
      const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
      run(
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        'ca.key',
        '-out',
        'ca.crt',
        '-days',
        '1',
        '-subj',
        '/CN=test-ca',
      );
      run(
        'req',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        'node.key',
        '-out',
        'node.csr',
        '-subj',
        '/CN=node',
      );
      await fsp.writeFile(
        path.join(dir, 'ext'),
        'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n',
      );
      run(
        'x509',
        '-req',
        '-in',
        'node.csr',
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        'node.crt',
        '-days',
        '1',
        '-extfile',
        'ext',
      );
      const read = (f: string): Promise<Buffer> => fsp.readFile(path.join(dir, f));
      const [ca, key, crt] = await Promise.all([read('ca.crt'), read('node.key'), read('node.crt')]);
      const server = grpc.ServerCredentials.createSsl(ca, [{ private_key: key, cert_chain: crt }], true);
      const channel = grpc.credentials.createSsl(ca, key, crt);
      const { a, hb } = await pair({ server, channel });
      a.send([{ type: MessageType.Heartbeat, from: 'a', to: 'b', term: 9 }]);
      await hb.waitFor(1);
      expect(hb.got[0]?.term).toBe(9);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});
