// The sockets of one network's embedded DNS: UDP and TCP (clients retry over TCP after a truncated
// answer) on the network's gateway address, port 53, in the host's namespace.
//
// Docker listens on 127.0.0.11 inside each container's namespace (and NATs port 53 there to its
// socket), which needs a thread that enters the container's namespace with setns(2). Node has no
// setns and cannot move a socket between namespaces, so ours listens on the gateway: the one
// address every container of the network reaches on-link, and the host owns.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { EngineError } from '../../errors';
import type { Logger } from '../../log';
import type { DnsResponder } from './responder';

export class DnsBindError extends EngineError {
  constructor(
    readonly address: string,
    readonly port: number,
    cause: unknown,
  ) {
    super(`cannot listen for DNS on ${address}:${port}: ${(cause as Error).message}`, 500, { cause });
  }
}

export interface DnsServer {
  address: string;
  port: number;
  close(): Promise<void>;
}

const TCP_IDLE_MS = 10_000;
const MAX_TCP_CLIENTS = 128;

function bindUdp(address: string, port: number): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    // Answers go to the literal address a query came from: no resolver round (dns.lookup defers
    // even an IP literal to the next tick) on the hot path.
    const s = createSocket({
      type: 'udp4',
      lookup: (host, _opts, cb) => (cb as (e: null, a: string, f: number) => void)(null, host, 4),
    });
    const onError = (e: Error) => {
      s.close();
      reject(e);
    };
    s.once('error', onError);
    s.bind({ address, port, exclusive: true }, () => {
      s.off('error', onError);
      resolve(s);
    });
  });
}

function listenTcp(address: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen({ host: address, port, exclusive: true }, () => {
      s.off('error', reject);
      resolve(s);
    });
  });
}

/** DNS over TCP: each message has a 2-byte length in front (RFC 1035 4.2.2); answers may come out of order (RFC 7766). */
function serveTcpClient(sock: Socket, responder: DnsResponder): void {
  let buf: Buffer = Buffer.alloc(0);
  const client = sock.remoteAddress ?? '';
  sock.setTimeout(TCP_IDLE_MS, () => sock.destroy());
  sock.on('error', () => undefined);
  sock.on('data', (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    while (buf.length >= 2) {
      const len = buf.readUInt16BE(0);
      if (buf.length < 2 + len) break;
      const msg = Buffer.from(buf.subarray(2, 2 + len));
      buf = buf.subarray(2 + len);
      const reply = (answer: Buffer | undefined) => {
        if (!answer || sock.destroyed) return;
        const head = Buffer.alloc(2);
        head.writeUInt16BE(answer.length, 0);
        sock.write(Buffer.concat([head, answer]));
      };
      const answer = responder.answer(msg, client.replace(/^::ffff:/, ''), 'tcp');
      if (answer instanceof Promise) void answer.then(reply);
      else reply(answer);
    }
  });
}

/** Listens on `address`:`port` over UDP and TCP; throws DnsBindError when either cannot bind. */
export async function startDnsServer(
  address: string,
  port: number,
  responder: DnsResponder,
  log: Logger,
): Promise<DnsServer> {
  let udp: UdpSocket | undefined;
  let tcp: Server | undefined;
  try {
    udp = await bindUdp(address, port);
    // Port 0 (tests): TCP takes the port UDP was given.
    port = udp.address().port;
    tcp = await listenTcp(address, port);
  } catch (e) {
    udp?.close();
    throw new DnsBindError(address, port, e);
  }
  const u = udp;
  const t = tcp;
  t.maxConnections = MAX_TCP_CLIENTS;
  u.on('error', (e) => log.warn({ err: e.message, address }, 'embedded DNS socket error'));
  u.on('message', (msg, rinfo) => {
    const reply = (answer: Buffer | undefined) => {
      if (!answer) return;
      try {
        u.send(answer, rinfo.port, rinfo.address);
      } catch {
        // the socket closed while the answer was forwarded
      }
    };
    const answer = responder.answer(msg, rinfo.address, 'udp');
    if (answer instanceof Promise) void answer.then(reply);
    else reply(answer);
  });
  t.on('error', (e) => log.warn({ err: e.message, address }, 'embedded DNS TCP server error'));
  const clients = new Set<Socket>();
  t.on('connection', (sock) => {
    clients.add(sock);
    sock.on('close', () => clients.delete(sock));
    serveTcpClient(sock, responder);
  });
  let closing: Promise<void> | undefined;
  return {
    address,
    port,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        for (const c of clients) c.destroy();
        let left = 2;
        const one = () => {
          if (--left === 0) resolve();
        };
        u.close(one);
        t.close(one);
      })),
  };
}
