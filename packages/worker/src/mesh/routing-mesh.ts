// The routing mesh of one node: a userspace L4 balancer on every published ingress port. The
// daemon keeps the truth (ports, backend sets) and runs one accept loop itself; optional child
// processes run more accept loops on the same listening sockets, so accepts and connects use
// every core. Backend changes reach every loop before setBackends resolves.
import type net from 'node:net';
import { silentLogger, type Logger } from '@flotilla/engine-core';
import { AcceptLoop, type DataPath } from './accept-loop';
import { PortInUseError, UnsupportedProtocolError } from './errors';
import { bindPublishedPort } from './listen';
import { type LoopRequest, LoopProcess } from './loop-process';
import { copyBackend } from './pool';
import { poolKey } from './protocol';
import type {
  Backend,
  BackendStats,
  MeshPort,
  MeshStats,
  ServicePortStats,
  Strategy,
  TunnelCredentials,
} from './types';

export interface RoutingMeshOptions {
  /** Default balancing for service ports without their own strategy. Default round robin. */
  strategy?: Strategy;
  /**
   * Accept-loop child processes beside the daemon's own loop. 0 (default) proxies in the daemon
   * only; on a node that serves real traffic, cores - 1 is a good value.
   */
  acceptLoops?: number;
  /** Node flags for the children (tests running the TypeScript sources pass a register hook). */
  execArgv?: string[];
  log?: Logger;
  /**
   * 'handles' (default): proxy on libuv handles directly when this Node allows it, which roughly
   * halves the CPU a connection costs; 'sockets': plain net.Socket streams.
   */
  dataPath?: DataPath;
}

interface Publication {
  port: MeshPort;
  serviceId: string;
  lid: number;
  server: net.Server;
}

interface PoolSpec {
  serviceId: string;
  targetPort: number;
  strategy: Strategy;
  backends: Backend[];
}

/** Publications are keyed by host address and port: a VIP's VIP:port beside the ingress wildcard ports. */
function publicationKey(hostIp: string | undefined, port: number): string {
  return `${hostIp ?? ''}|${port}`;
}

/** Respawn delay of a crashed accept loop; its share of connections goes to the others meanwhile. */
const RESPAWN_MS = 200;

export class RoutingMesh {
  private readonly log: Logger;
  private readonly strategy: Strategy;
  private readonly execArgv: string[];
  private readonly dataPath: DataPath;
  private readonly local: AcceptLoop;
  private readonly loops: (LoopProcess | undefined)[] = [];
  private readonly published = new Map<string, Publication>();
  private readonly pools = new Map<string, PoolSpec>();
  private readonly strategies = new Map<string, Strategy>();
  private nextLid = 1;
  private closed = false;
  private tunnelCredentials: TunnelCredentials | undefined;

  constructor(opts: RoutingMeshOptions = {}) {
    this.log = opts.log ?? silentLogger;
    this.strategy = opts.strategy ?? 'round-robin';
    this.execArgv = opts.execArgv ?? [];
    this.dataPath = opts.dataPath ?? 'handles';
    this.local = new AcceptLoop(this.dataPath);
    for (let i = 0; i < (opts.acceptLoops ?? 0); i++) this.loops.push(this.spawn(i));
  }

  /** Accept loops that proxy connections: the daemon's own one plus the live children. */
  get acceptLoops(): number {
    return 1 + this.loops.filter((l) => l !== undefined).length;
  }

  /** Child process ids (for debugging and for tests that kill one). */
  get loopPids(): number[] {
    return this.loops.flatMap((l) => (l?.pid === undefined ? [] : [l.pid]));
  }

  private spawn(index: number): LoopProcess {
    const loop = new LoopProcess(index, this.execArgv, this.dataPath, this.log);
    void loop.exited.then(() => {
      if (this.closed || this.loops[index] !== loop) return;
      this.loops[index] = undefined;
      this.log.warn({ loop: index }, 'accept loop died; restarting it');
      setTimeout(() => {
        if (this.closed) return;
        const fresh = this.spawn(index);
        this.loops[index] = fresh;
        void this.replay(fresh);
      }, RESPAWN_MS).unref();
    });
    return loop;
  }

  /** Gives a restarted loop everything the others have. */
  private async replay(loop: LoopProcess): Promise<void> {
    if (this.tunnelCredentials) await loop.request({ op: 'tunnel-credentials', credentials: this.tunnelCredentials });
    for (const [key, p] of this.pools)
      await loop.request({ op: 'pool', key, strategy: p.strategy, backends: p.backends });
    for (const pub of this.published.values()) {
      await loop.request({ op: 'listen', lid: pub.lid, key: poolKey(pub.serviceId, pub.port.target) }, pub.server);
    }
  }

  private async broadcast(msg: LoopRequest, handle?: net.Server): Promise<void> {
    await Promise.all(this.loops.map((l) => l?.request(msg, handle)));
  }

  /**
   * Listens on a published port (on every address, or on `hostIp` only: a service VIP) for a
   * service; connections go to the backends given by setBackends(serviceId, port.target, ...).
   * Throws PortInUseError when another service of this mesh or another process holds the port.
   */
  async publish(port: MeshPort, serviceId: string): Promise<void> {
    if (this.closed) throw new Error('the routing mesh is closed');
    if (port.protocol !== 'tcp') throw new UnsupportedProtocolError(String(port.protocol));
    const pkey = publicationKey(port.hostIp, port.published);
    const held = this.published.get(pkey);
    if (held) {
      if (held.serviceId === serviceId && held.port.target === port.target) return; // the key holds the address
      throw new PortInUseError(port.published, held.serviceId);
    }
    const server = await bindPublishedPort(port.hostIp ?? '', port.published);
    const lid = this.nextLid++;
    const key = poolKey(serviceId, port.target);
    this.published.set(pkey, { port: { ...port }, serviceId, lid, server });
    this.local.attach(lid, key, server);
    await this.broadcast({ op: 'listen', lid, key }, server);
    this.log.info(
      {
        service: serviceId,
        host: port.hostIp || undefined,
        published: port.published,
        target: port.target,
        loops: this.acceptLoops,
      },
      'mesh port published',
    );
  }

  /** Stops listening on a published port (of `hostIp`, default every address); connections already proxied go on. */
  async unpublish(published: number, hostIp = ''): Promise<void> {
    const pkey = publicationKey(hostIp, published);
    const pub = this.published.get(pkey);
    if (!pub) return;
    this.published.delete(pkey);
    await Promise.all([this.local.detach(pub.lid), this.broadcast({ op: 'unlisten', lid: pub.lid })]);
    this.log.info({ service: pub.serviceId, host: hostIp || undefined, published }, 'mesh port unpublished');
  }

  /**
   * The node's certificate, key, cluster CA and cluster ID, for tunnels to tasks on other nodes
   * (backends with `tunnel`). Until set, such backends count as failed and the next replica is
   * tried. Call again after a certificate renewal; undefined forgets them (the node left).
   */
  async setTunnelCredentials(credentials: TunnelCredentials | undefined): Promise<void> {
    this.tunnelCredentials = credentials ? { ...credentials } : undefined;
    this.local.dialer.setCredentials(this.tunnelCredentials);
    await this.broadcast({ op: 'tunnel-credentials', credentials: this.tunnelCredentials });
  }

  /** Sets the balancing strategy of a service (all its ports); applies from its next setBackends. */
  setStrategy(serviceId: string, strategy: Strategy): void {
    this.strategies.set(serviceId, strategy);
  }

  /**
   * The RUNNING tasks behind a service's target port. Takes effect in the daemon's loop at once
   * and resolves once every accept loop has the new set. A task that left gets no new
   * connection; connections already open to it are left alone.
   */
  async setBackends(serviceId: string, targetPort: number, backends: readonly Backend[]): Promise<void> {
    const key = poolKey(serviceId, targetPort);
    const strategy = this.strategies.get(serviceId) ?? this.strategy;
    const copy = backends.map(copyBackend);
    this.pools.set(key, { serviceId, targetPort, strategy, backends: copy });
    this.local.setPool(key, strategy, copy);
    await this.broadcast({ op: 'pool', key, strategy, backends: copy });
  }

  /** Forgets a service: its ports and backend sets. */
  async removeService(serviceId: string): Promise<void> {
    for (const pub of [...this.published.values()])
      if (pub.serviceId === serviceId) await this.unpublish(pub.port.published, pub.port.hostIp ?? '');
    for (const [key, p] of [...this.pools]) {
      if (p.serviceId !== serviceId) continue;
      this.pools.delete(key);
      this.local.dropPool(key);
      await this.broadcast({ op: 'drop-pool', key });
    }
    this.strategies.delete(serviceId);
  }

  /** Connections per backend summed over every accept loop. */
  async stats(): Promise<MeshStats> {
    const all = [this.local.stats(), ...(await Promise.all(this.loops.map((l) => l?.stats())))].filter(
      (s) => s !== undefined,
    );
    const services: ServicePortStats[] = [];
    for (const [key, spec] of this.pools) {
      const byTask = new Map<string, BackendStats>();
      for (const b of spec.backends)
        byTask.set(`${b.taskId}\0${b.address}\0${b.port}`, { ...b, active: 0, total: 0, failed: 0 });
      let rejected = 0;
      for (const loopStats of all) {
        const p = loopStats.find((x) => x.key === key);
        if (!p) continue;
        rejected += p.rejected;
        for (const b of p.backends) {
          const s = byTask.get(`${b.taskId}\0${b.address}\0${b.port}`);
          if (!s) continue; // a loop that has not seen the latest set yet
          s.active += b.active;
          s.total += b.total;
          s.failed += b.failed;
        }
      }
      services.push({
        serviceId: spec.serviceId,
        targetPort: spec.targetPort,
        strategy: spec.strategy,
        backends: [...byTask.values()],
        rejected,
      });
    }
    return { loops: all.length, services };
  }

  /** Stops listening and stops the accept-loop children. Open proxied connections in the daemon are left to finish. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const servers = [...this.published.values()];
    this.published.clear();
    await Promise.all([
      this.local.close(),
      ...servers.map(
        (p) => new Promise<void>((resolve) => (p.server.listening ? p.server.close(() => resolve()) : resolve())),
      ),
      ...this.loops.map((l) => l?.stop()),
    ]);
  }
}
