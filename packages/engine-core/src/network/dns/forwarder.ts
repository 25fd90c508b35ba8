// Forwards a query the embedded DNS does not own to the host's nameservers, one after the other
// until one answers: over UDP, or over TCP for a client that asked over TCP (it does so after a
// truncated answer, and a UDP answer would be truncated again). Each UDP try uses a fresh socket
// (a fresh random source port) and accepts only an answer from that nameserver carrying the
// query's ID, so a spoofed reply has to guess both.
import { createSocket } from 'node:dgram';
import { connect, isIPv6 } from 'node:net';
import type { Upstream } from './resolv-conf';

export interface ForwardOptions {
  /** How long to wait for each nameserver (default 1500 ms). */
  timeoutMs?: number;
  /** At most this many nameservers are tried (default 3, as glibc's MAXNS). */
  maxTries?: number;
  transport?: 'udp' | 'tcp';
}

/** One length-prefixed exchange over TCP (RFC 1035 4.2.2). */
function askOneTcp(query: Buffer, u: Upstream, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const sock = connect({ host: u.host, port: u.port });
    const id = query.readUInt16BE(0);
    let buf: Buffer = Buffer.alloc(0);
    let done = false;
    const finish = (answer: Buffer | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    sock.on('error', () => finish(undefined));
    sock.on('close', () => finish(undefined));
    sock.on('connect', () => {
      const head = Buffer.alloc(2);
      head.writeUInt16BE(query.length, 0);
      sock.write(Buffer.concat([head, query]));
    });
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
      const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
      finish(msg.length >= 12 && msg.readUInt16BE(0) === id && (msg.readUInt8(2) & 0x80) !== 0 ? msg : undefined);
    });
  });
}

function askOne(query: Buffer, u: Upstream, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const sock = createSocket(isIPv6(u.host) ? 'udp6' : 'udp4');
    const id = query.readUInt16BE(0);
    let done = false;
    const finish = (answer: Buffer | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        sock.close();
      } catch {
        // already closed
      }
      resolve(answer);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    sock.on('error', () => finish(undefined));
    sock.on('message', (msg, rinfo) => {
      // An answer from that server with our ID and the QR bit; anything else is ignored.
      if (rinfo.port !== u.port || rinfo.address !== u.host) return;
      if (msg.length < 12 || msg.readUInt16BE(0) !== id || (msg.readUInt8(2) & 0x80) === 0) return;
      finish(msg);
    });
    sock.send(query, u.port, u.host, (err) => {
      if (err) finish(undefined);
    });
  });
}

/** The first answer of the upstreams (the client's ID is kept: the query goes out unchanged), or undefined. */
export async function forwardQuery(
  query: Buffer,
  upstreams: readonly Upstream[],
  opts: ForwardOptions = {},
): Promise<Buffer | undefined> {
  const timeoutMs = opts.timeoutMs ?? 1500;
  for (const u of upstreams.slice(0, opts.maxTries ?? 3)) {
    const answer = opts.transport === 'tcp' ? await askOneTcp(query, u, timeoutMs) : await askOne(query, u, timeoutMs);
    if (answer) return answer;
  }
  return undefined;
}
