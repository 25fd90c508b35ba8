// The embedded DNS's sockets on loopback: what a client sees over UDP and TCP, malformed input,
// forwarding to a stub upstream, and a port that is taken.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer } from 'node:net';
import pino from 'pino';
import { NameIndex } from './name-index';
import { DnsResponder, type DnsContext, OWN_TTL } from './responder';
import type { ResolveNetwork } from './resolve';
import type { Upstream } from './resolv-conf';
import { DnsBindError, type DnsServer, startDnsServer } from './server';
import { buildAnswer, buildQuery, parseQuery, parseResponse, RCODE, TYPE } from './wire';

/** The first element, which the test needs: fails clearly when there is none. */
function firstOf<T>(xs: readonly T[]): T {
  const [x] = xs;
  if (x === undefined) throw new Error('expected at least one element');
  return x;
}

const log = pino({ level: 'silent' });
const HOST = '127.0.0.1';

function udpAsk(port: number, msg: Buffer, timeoutMs = 3000): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      resolve(undefined);
    }, timeoutMs);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(m);
    });
    s.send(msg, port, HOST);
  });
}

function tcpAsk(port: number, msgs: Buffer[]): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, HOST);
    let buf = Buffer.alloc(0);
    const out: Buffer[] = [];
    sock.on('connect', () => {
      // both messages in one write, the second split across the boundary on purpose
      const framed = Buffer.concat(msgs.map((m) => Buffer.concat([Buffer.from([m.length >> 8, m.length & 255]), m])));
      sock.write(framed.subarray(0, framed.length - 3));
      setTimeout(() => sock.write(framed.subarray(framed.length - 3)), 20);
    });
    sock.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        out.push(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (out.length === msgs.length) {
        sock.end();
        resolve(out);
      }
    });
    sock.on('error', reject);
  });
}

/** A tiny upstream: answers every A query with 192.0.2.<n>, counting queries; `silent` drops them. */
async function stubUpstream(
  opts: { silent?: boolean } = {},
): Promise<{ sock: UdpSocket; port: number; seen: number[] }> {
  const sock = createSocket('udp4');
  const seen: number[] = [];
  sock.on('message', (m, r) => {
    const q = parseQuery(m);
    seen.push(q.id);
    if (opts.silent) return;
    sock.send(
      buildAnswer({ id: q.id, rcode: 0, rd: q.rd, question: q.questions[0], addresses: ['192.0.2.7'], ttl: 300 }),
      r.port,
      r.address,
    );
  });
  await new Promise<void>((res) => sock.bind(0, HOST, () => res()));
  return { sock, port: sock.address().port, seen };
}

describe('embedded DNS server', () => {
  let server: DnsServer;
  let upstreams: Upstream[] = [];
  const index = new NameIndex();
  index.add({ containerId: 'c0ffee'.repeat(10) + 'abcd', name: 'web', aliases: ['frontend'], ipAddress: '10.7.0.2' });
  index.add({ containerId: 'd00d'.repeat(16), name: 'api1', aliases: ['api'], ipAddress: '10.7.0.3' });
  index.add({ containerId: 'beef'.repeat(16), name: 'api2', aliases: ['api'], ipAddress: '10.7.0.4' });
  const net: ResolveNetwork = { id: 'n1', name: 'mynet', index };
  let refuse = false;
  const ctx: DnsContext = {
    clientNetworks: () => (refuse ? undefined : [net]),
    sources: () => [],
    searchDomains: () => [],
    upstreams: () => upstreams,
    forward: { timeoutMs: 300 },
    log,
  };

  beforeAll(async () => {
    server = await startDnsServer(HOST, 0, new DnsResponder(ctx), log);
  });
  afterAll(() => server.close());
  beforeEach(() => {
    upstreams = [];
    refuse = false;
  });

  it('answers a container name over UDP, keeping the ID, with the short TTL', async () => {
    const r = parseResponse((await udpAsk(server.port, buildQuery(4242, 'WEB.')))!);
    expect(r).toMatchObject({ id: 4242, rcode: RCODE.NOERROR, aa: true });
    expect(r.answers).toEqual([{ type: TYPE.A, ttl: OWN_TTL, data: '10.7.0.2' }]);
  });

  it('answers every address of a shared alias, first in turn', async () => {
    const firsts = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const r = parseResponse((await udpAsk(server.port, buildQuery(100 + i, 'api')))!);
      expect(r.answers.map((a) => a.data).sort()).toEqual(['10.7.0.3', '10.7.0.4']);
      firsts.add(firstOf(r.answers).data);
    }
    expect(firsts.size).toBe(2);
  });

  it('answers AAAA of a known name with NOERROR and no records', async () => {
    const r = parseResponse((await udpAsk(server.port, buildQuery(1, 'frontend', TYPE.AAAA)))!);
    expect(r.rcode).toBe(RCODE.NOERROR);
    expect(r.answers).toEqual([]);
  });

  it('answers over TCP, several queries on one connection, split across reads', async () => {
    const [a, b] = await tcpAsk(server.port, [buildQuery(7, 'web'), buildQuery(8, 'frontend', TYPE.A, { edns: 1232 })]);
    const byId = new Map([a!, b!].map((m) => [parseResponse(m).id, parseResponse(m)]));
    expect(byId.get(7)?.answers.map((x) => x.data)).toEqual(['10.7.0.2']);
    expect(byId.get(8)?.answers.map((x) => x.data)).toEqual(['10.7.0.2']);
  });

  it('answers FORMERR to a malformed query, ignores scraps and answers, and keeps serving', async () => {
    const bad = Buffer.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 97]);
    expect(parseResponse((await udpAsk(server.port, bad))!)).toMatchObject({ id: 0x1234, rcode: RCODE.FORMERR });
    expect(await udpAsk(server.port, Buffer.from([1, 2, 3]), 300)).toBeUndefined();
    const anAnswer = buildAnswer({ id: 5, rcode: 0, question: parseQuery(buildQuery(5, 'web')).questions[0] });
    expect(await udpAsk(server.port, anAnswer, 300)).toBeUndefined();
    const twoQuestions = Buffer.concat([
      buildQuery(6, 'web').subarray(0, 12),
      buildQuery(6, 'web').subarray(12),
      buildQuery(6, 'web').subarray(12),
    ]);
    twoQuestions.writeUInt16BE(2, 4);
    expect(parseResponse((await udpAsk(server.port, twoQuestions))!)).toMatchObject({ id: 6, rcode: RCODE.FORMERR });
    expect(parseResponse((await udpAsk(server.port, buildQuery(9, 'web')))!).answers).toHaveLength(1);
  });

  it('refuses a client that is not on the network', async () => {
    refuse = true;
    expect(parseResponse((await udpAsk(server.port, buildQuery(3, 'web')))!).rcode).toBe(RCODE.REFUSED);
  });

  it('answers NXDOMAIN for an unknown name when there is no upstream', async () => {
    expect(parseResponse((await udpAsk(server.port, buildQuery(10, 'nowhere.example')))!).rcode).toBe(RCODE.NXDOMAIN);
  });

  it('forwards unknown names with the client ID, trying the next upstream when one is silent; SERVFAIL when none answers', async () => {
    const silent = await stubUpstream({ silent: true });
    const good = await stubUpstream();
    try {
      upstreams = [
        { host: HOST, port: silent.port },
        { host: HOST, port: good.port },
      ];
      const r = parseResponse((await udpAsk(server.port, buildQuery(0xabcd, 'example.org')))!);
      expect(r).toMatchObject({ id: 0xabcd, rcode: RCODE.NOERROR });
      expect(r.answers).toEqual([{ type: TYPE.A, ttl: 300, data: '192.0.2.7' }]);
      expect(silent.seen).toEqual([0xabcd]);
      expect(good.seen).toEqual([0xabcd]);
      // the containers' names are not forwarded
      await udpAsk(server.port, buildQuery(11, 'web'));
      expect(good.seen).toEqual([0xabcd]);
      upstreams = [{ host: HOST, port: silent.port }];
      const started = Date.now();
      expect(parseResponse((await udpAsk(server.port, buildQuery(12, 'example.org')))!).rcode).toBe(RCODE.SERVFAIL);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    } finally {
      silent.sock.close();
      good.sock.close();
    }
  });

  it("forwards a TCP client's query over TCP (it came after a truncated UDP answer)", async () => {
    const seen: string[] = [];
    const tcpStub = createServer((sock) => {
      sock.once('data', (c: Buffer) => {
        const q = parseQuery(c.subarray(2));
        seen.push(firstOf(q.questions).name);
        const addresses = Array.from({ length: 40 }, (_, i) => `192.0.2.${i + 1}`);
        const a = buildAnswer({ id: q.id, rcode: 0, question: q.questions[0], addresses, ttl: 5, maxSize: 65535 });
        sock.end(Buffer.concat([Buffer.from([a.length >> 8, a.length & 255]), a]));
      });
    });
    await new Promise<void>((res) => tcpStub.listen(0, HOST, () => res()));
    try {
      upstreams = [{ host: HOST, port: (tcpStub.address() as { port: number }).port }];
      const [a] = await tcpAsk(server.port, [buildQuery(0x4321, 'big.example')]);
      const r = parseResponse(a!);
      expect(r).toMatchObject({ id: 0x4321, rcode: RCODE.NOERROR, tc: false });
      expect(r.answers).toHaveLength(40);
      expect(seen).toEqual(['big.example']);
    } finally {
      tcpStub.close();
    }
  });

  it('fails with DnsBindError when the port is taken', async () => {
    await expect(startDnsServer(HOST, server.port, new DnsResponder(ctx), log)).rejects.toThrow(DnsBindError);
  });
});
