// docker's userland proxy: a listener on the host that forwards each TCP connection (or UDP flow)
// to the container. It works for loopback clients, needs no iptables DNAT, and never lets a socket
// error reach the daemon.
import dgram from 'node:dgram';
import net from 'node:net';
import { ConflictError, EngineError } from '../errors';
import type { Logger } from '../log';

export interface ProxyTarget {
  host: string;
  port: number;
}

export interface Proxy {
  readonly proto: 'tcp' | 'udp';
  readonly hostIp: string;
  readonly hostPort: number;
  close(): Promise<void>;
}

/** UDP flows without traffic for this long are forgotten (docker's UDPConnTrackTimeout). */
const UDP_IDLE_MS = 90_000;

function listenError(e: NodeJS.ErrnoException, hostIp: string, hostPort: number, proto: string): Error {
  const shown = `${hostIp || '0.0.0.0'}:${hostPort}`;
  if (e.code === 'EADDRINUSE')
    return new ConflictError(`Bind for ${shown} failed: port is already allocated`, { cause: e });
  if (e.code === 'EACCES')
    return new EngineError(`Error starting userland proxy: listen ${proto} ${shown}: bind: permission denied`, 500, {
      cause: e,
    });
  if (e.code === 'EADDRNOTAVAIL') {
    return new EngineError(
      `Error starting userland proxy: listen ${proto} ${shown}: bind: cannot assign requested address (${hostIp} is not an address of this host)`,
      500,
      { cause: e },
    );
  }
  return new EngineError(`Error starting userland proxy: listen ${proto} ${shown}: ${e.message}`, 500, { cause: e });
}

/** "" means every address: IPv6 dual-stack when the host has IPv6, like docker's two proxies. */
function bindAddresses(hostIp: string): string[] {
  return hostIp === '' ? ['::', '0.0.0.0'] : [hostIp];
}

export async function startTcpProxy(
  hostIp: string,
  hostPort: number,
  target: ProxyTarget,
  log: Logger,
): Promise<Proxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, (client) => {
    sockets.add(client);
    const upstream = net.connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
    sockets.add(upstream);
    const done = (s: net.Socket) => () => {
      sockets.delete(s);
      // Once one side is fully closed nothing more can flow; drop the other side too.
      (s === client ? upstream : client).destroy();
    };
    client.once('close', done(client));
    upstream.once('close', done(upstream));
    client.on('error', (e) => log.debug({ err: e.message }, 'proxy client socket error'));
    upstream.on('error', (e) => log.debug({ err: e.message, target }, 'proxy upstream socket error'));
    upstream.once('connect', () => {
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  });
  server.on('error', (e) => log.warn({ err: e.message }, 'proxy listener error'));
  const addresses = bindAddresses(hostIp);
  for (let i = 0; i < addresses.length; i++) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: addresses[i], port: hostPort, ipv6Only: false, exclusive: true }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      break;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      // A host without IPv6 cannot bind "::"; fall back to 0.0.0.0.
      if (i + 1 < addresses.length && (err.code === 'EAFNOSUPPORT' || err.code === 'EADDRNOTAVAIL')) continue;
      throw listenError(err, hostIp, hostPort, 'tcp');
    }
  }
  const port = (server.address() as net.AddressInfo).port;
  return {
    proto: 'tcp',
    hostIp,
    hostPort: port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export async function startUdpProxy(
  hostIp: string,
  hostPort: number,
  target: ProxyTarget,
  log: Logger,
): Promise<Proxy> {
  const flows = new Map<string, { socket: dgram.Socket; timer: NodeJS.Timeout }>();
  const addresses = bindAddresses(hostIp);
  let front: dgram.Socket | undefined;
  for (let i = 0; i < addresses.length && !front; i++) {
    const addr = addresses[i] ?? '';
    const s = dgram.createSocket({ type: net.isIPv6(addr) ? 'udp6' : 'udp4', ipv6Only: false });
    try {
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.bind({ address: addr, port: hostPort, exclusive: true }, () => {
          s.off('error', reject);
          resolve();
        });
      });
      front = s;
    } catch (e) {
      s.close();
      const err = e as NodeJS.ErrnoException;
      if (i + 1 < addresses.length && (err.code === 'EAFNOSUPPORT' || err.code === 'EADDRNOTAVAIL')) continue;
      throw listenError(err, hostIp, hostPort, 'udp');
    }
  }
  const listener = front as dgram.Socket;
  listener.on('error', (e) => log.warn({ err: e.message }, 'udp proxy error'));
  const forget = (key: string) => {
    const f = flows.get(key);
    if (!f) return;
    flows.delete(key);
    clearTimeout(f.timer);
    f.socket.close();
  };
  listener.on('message', (msg, rinfo) => {
    const key = `${rinfo.address}|${rinfo.port}`;
    let flow = flows.get(key);
    if (!flow) {
      const socket = dgram.createSocket('udp4');
      socket.on('error', (e) => {
        log.debug({ err: e.message, target }, 'udp proxy upstream error');
        forget(key);
      });
      socket.on('message', (reply) => {
        listener.send(reply, rinfo.port, rinfo.address);
        const f = flows.get(key);
        f?.timer.refresh();
      });
      flow = { socket, timer: setTimeout(() => forget(key), UDP_IDLE_MS).unref() };
      flows.set(key, flow);
    }
    flow.timer.refresh();
    flow.socket.send(msg, target.port, target.host);
  });
  return {
    proto: 'udp',
    hostIp,
    hostPort: listener.address().port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const key of [...flows.keys()]) forget(key);
        listener.close(() => resolve());
      }),
  };
}
