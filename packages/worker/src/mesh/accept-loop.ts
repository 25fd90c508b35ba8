// One accept loop: the listening sockets it accepts on and its own copy of every backend pool.
// The daemon runs one in-process; each child process runs another over the same sockets, so
// the kernel hands each new connection to whichever loop accepts first.
import type net from 'node:net';
import { BackendPool } from './pool';
import type { PoolStatsWire, ToLoop } from './protocol';
import { acceptRaw } from './raw-splice';
import { proxyConnection } from './splice';
import { TunnelDialer } from './tunnel-client';
import type { Backend, Strategy } from './types';

/**
 * 'handles': the fast path on libuv handles (raw-splice.ts) when this Node has it, else sockets;
 * 'sockets': always net.Socket (splice.ts).
 */
export type DataPath = 'handles' | 'sockets';

export class AcceptLoop {
  private readonly pools = new Map<string, BackendPool>();
  private readonly servers = new Map<number, net.Server>();
  /** Opens the tunnels to tasks on other nodes (every loop its own, with the node's credentials). */
  readonly dialer = new TunnelDialer();

  constructor(readonly dataPath: DataPath = 'handles') {}

  /** The pool for a key, created empty so that a port published before its tasks run rejects cleanly. */
  pool(key: string, strategy: Strategy = 'round-robin'): BackendPool {
    let p = this.pools.get(key);
    if (!p) {
      p = new BackendPool(strategy);
      this.pools.set(key, p);
    }
    return p;
  }

  /** Starts accepting on a listening server (ours, or one received from the daemon). */
  attach(lid: number, key: string, server: net.Server): void {
    // Options of a server received over IPC are Node's defaults; set the ones the data path needs
    // before the first connection (onconnection reads them per accepted socket).
    const s = server as net.Server & { pauseOnConnect: boolean; allowHalfOpen: boolean };
    s.pauseOnConnect = true;
    s.allowHalfOpen = true;
    const pool = this.pool(key);
    if (this.dataPath === 'sockets' || !acceptRaw(server, pool, this.dialer))
      server.on('connection', (client: net.Socket) => proxyConnection(client, pool, this.dialer));
    server.on('error', () => {}); // accept errors (EMFILE) must not kill the loop; libuv retries
    this.servers.set(lid, server);
  }

  detach(lid: number): Promise<void> {
    const server = this.servers.get(lid);
    this.servers.delete(lid);
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  setPool(key: string, strategy: Strategy, backends: readonly Backend[]): void {
    const p = this.pool(key, strategy);
    p.strategy = strategy;
    p.set(backends);
  }

  dropPool(key: string): void {
    this.pools.get(key)?.set([]);
    this.pools.delete(key);
  }

  apply(msg: ToLoop, handle?: unknown): Promise<void> | void {
    switch (msg.op) {
      case 'pool':
        return this.setPool(msg.key, msg.strategy, msg.backends);
      case 'drop-pool':
        return this.dropPool(msg.key);
      case 'listen':
        if (handle) this.attach(msg.lid, msg.key, handle as net.Server);
        return;
      case 'unlisten':
        return this.detach(msg.lid);
      case 'tunnel-credentials':
        return this.dialer.setCredentials(msg.credentials);
      case 'stats':
        return;
    }
  }

  stats(): PoolStatsWire[] {
    return [...this.pools].map(([key, p]) => ({ key, rejected: p.rejected, backends: p.stats() }));
  }

  async close(): Promise<void> {
    this.dialer.close();
    await Promise.all([...this.servers.keys()].map((lid) => this.detach(lid)));
  }
}
