// Binds a published port with the options the data path relies on, and turns bind errors into
// messages a user can act on.
import net from 'node:net';
import { MeshListenError, PortInUseError } from './errors';

function listenOnce(server: net.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // exclusive: the handle is ours to share with the accept-loop children, never cluster's.
    server.listen({ host, port, ipv6Only: false, exclusive: true, backlog: 4096 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** "" binds every address: IPv6 dual-stack when the host has IPv6, else 0.0.0.0. */
export async function bindPublishedPort(hostIp: string, port: number): Promise<net.Server> {
  const addresses = hostIp === '' ? ['::', '0.0.0.0'] : [hostIp];
  for (let i = 0; ; i++) {
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });
    try {
      await listenOnce(server, addresses[i] as string, port);
      return server;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (i + 1 < addresses.length && (err.code === 'EAFNOSUPPORT' || err.code === 'EADDRNOTAVAIL')) continue;
      if (err.code === 'EADDRINUSE') throw new PortInUseError(port, undefined, { cause: err });
      const where = `${hostIp || '0.0.0.0'}:${port}`;
      if (err.code === 'EACCES')
        throw new MeshListenError(
          `cannot listen on ${where}: permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)`,
          { cause: err },
        );
      if (err.code === 'EADDRNOTAVAIL')
        throw new MeshListenError(`cannot listen on ${where}: ${hostIp} is not an address of this node`, {
          cause: err,
        });
      throw new MeshListenError(`cannot listen on ${where}: ${err.message}`, { cause: err });
    }
  }
}
