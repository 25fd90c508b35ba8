import type { MeshService } from '@flotilla/manager';
import type { Logger } from 'pino';
import type { Backend, RoutingMesh } from '../mesh';

/** One listener the mesh should hold: every address ('') for ingress ports, a VIP for VIP ports. */
export interface Listener {
  hostIp: string;
  port: number;
  target: number;
  serviceId: string;
}

/** Where VIPs come from: put on this node's bridges, returning those now present. */
export interface VipSync {
  sync(view: readonly MeshService[]): Promise<Set<string>>;
}

const listenerKey = (hostIp: string, port: number) => `${hostIp}|${port}`;

/**
 * Keeps this node's routing mesh in line with the cluster's view: every ingress port listened on,
 * each service VIP on VIP:port for its VIP ports, and each port's backends = the service's running
 * tasks on every node. Tasks on this node are dialled directly; tasks on other nodes through their
 * node's mesh tunnel (left out while the view has no tunnel address for that node).
 */
export class MeshController {
  private published = new Map<string, Listener>();
  private backends = new Map<string, string>();
  private chain: Promise<void> = Promise.resolve();
  private last: MeshService[] = [];
  private retry: NodeJS.Timeout | null = null;
  private closed = false;
  /** The tasks running on this node by ID: what this node's tunnel listener may connect to. */
  private localTasks = new Map<string, { address: string; ports: Set<number> }>();

  constructor(
    private readonly mesh: RoutingMesh,
    private readonly nodeId: () => string,
    private readonly log?: Logger,
    private readonly vips?: VipSync,
  ) {}

  update(view: MeshService[]): void {
    // A node that left the swarm and joined again gets views again.
    this.closed = false;
    this.last = view;
    this.localTasks = localTasksOf(view, this.nodeId());
    this.chain = this.chain
      .then(() => this.apply(view))
      .catch((e: Error) => this.log?.error({ err: e }, 'routing mesh update failed'));
  }

  /** The last view the managers sent (service discovery reads it). */
  view(): readonly MeshService[] {
    return this.last;
  }

  /** Applies the last view again (a swarm network's bridge was just made here: its VIPs go on it). */
  refresh(): void {
    if (!this.closed) this.update(this.last);
  }

  /** A port something else held a moment ago is tried again until it binds (or goes away). */
  private retryLater(): void {
    if (this.retry || this.closed) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      this.update(this.last);
    }, 1000);
    this.retry.unref();
  }

  /**
   * The address of a task that runs on this node and serves `port` (a target port of its
   * service's ingress or VIP ports) according to the current view, else undefined. The tunnel
   * listener asks this before it connects anywhere.
   */
  localTarget(taskId: string, port: number): string | undefined {
    const t = this.localTasks.get(taskId);
    return t && t.ports.has(port) ? t.address : undefined;
  }

  async idle(): Promise<void> {
    await this.chain;
  }

  private async apply(view: MeshService[]): Promise<void> {
    const localVips = this.vips
      ? await this.vips
          .sync(view)
          .catch(
            (e: Error) => (
              this.log?.error({ err: e }, 'cannot put the service VIPs on the bridges'),
              new Set<string>()
            ),
          )
      : new Set<string>();
    const want = new Map(listenersFor(view, localVips).map((l) => [listenerKey(l.hostIp, l.port), l]));
    for (const [key, held] of this.published) {
      const w = want.get(key);
      if (!w || w.serviceId !== held.serviceId || w.target !== held.target) {
        await this.mesh.unpublish(held.port, held.hostIp);
        this.published.delete(key);
      }
    }
    for (const s of view) {
      for (const target of servedTargets(s)) {
        const backends = backendsFor(s, target, this.nodeId());
        const key = `${s.serviceId}/${target}`;
        const json = JSON.stringify(backends);
        if (this.backends.get(key) !== json) {
          await this.mesh.setBackends(s.serviceId, target, backends);
          this.backends.set(key, json);
        }
      }
    }
    for (const [key, l] of want) {
      if (this.published.has(key)) continue;
      try {
        await this.mesh.publish(
          { published: l.port, target: l.target, protocol: 'tcp', ...(l.hostIp ? { hostIp: l.hostIp } : {}) },
          l.serviceId,
        );
        this.published.set(key, l);
      } catch (e) {
        this.log?.error(
          { err: e, host: l.hostIp || undefined, port: l.port },
          l.hostIp
            ? 'cannot listen on a service VIP port: retrying every second'
            : 'cannot publish ingress port: retrying every second',
        );
        this.retryLater();
      }
    }
    const services = new Set(view.map((s) => s.serviceId));
    for (const key of [...this.backends.keys()]) {
      const [sid] = key.split('/');
      if (!services.has(sid!)) {
        await this.mesh.removeService(sid!);
        this.backends.delete(key);
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    await this.chain;
    for (const l of this.published.values()) await this.mesh.unpublish(l.port, l.hostIp).catch(() => undefined);
    this.published.clear();
    // Out of the swarm: no names to answer, no task to tunnel to.
    this.last = [];
    this.localTasks = new Map();
  }
}

/** Pure: the target ports the mesh balances for a service (ingress TCP targets and VIP ports). */
export function servedTargets(s: MeshService): number[] {
  return [...new Set([...s.ports.filter((p) => p.protocol === 'tcp').map((p) => p.target), ...(s.vipPorts ?? [])])];
}

/**
 * Pure: every listener of the view. Ingress ports on every address; each VIP present on this node
 * on each of its service's VIP ports, except where the service itself listens on that very port
 * number on every address for the same target (the wildcard socket already gets the VIP's
 * connections, and Linux refuses a specific-address listener beside it).
 */
export function listenersFor(view: readonly MeshService[], localVips: ReadonlySet<string>): Listener[] {
  const out: Listener[] = [];
  for (const s of view)
    for (const p of s.ports)
      if (p.protocol === 'tcp') out.push({ hostIp: '', port: p.published, target: p.target, serviceId: s.serviceId });
  for (const s of view) {
    const wildcard = new Set(
      s.ports.filter((p) => p.protocol === 'tcp' && p.published === p.target).map((p) => p.published),
    );
    for (const n of s.networks ?? []) {
      if (!n.vip || !localVips.has(n.vip)) continue;
      for (const port of s.vipPorts ?? [])
        if (!wildcard.has(port)) out.push({ hostIp: n.vip, port, target: port, serviceId: s.serviceId });
    }
  }
  return out;
}

/** Pure: a service port's backends as this node's mesh dials them. */
export function backendsFor(s: MeshService, target: number, self: string): Backend[] {
  const out: Backend[] = [];
  for (const b of s.backends) {
    const address = b.address.split('/', 1)[0] ?? b.address;
    if (b.nodeId === self) out.push({ taskId: b.taskId, address, port: target });
    else if (b.tunnel) out.push({ taskId: b.taskId, address, port: target, tunnel: b.tunnel, node: b.nodeId });
  }
  return out;
}

/** Pure: the tasks of the view that run on node `self`, with the ports they may be reached on. */
export function localTasksOf(view: MeshService[], self: string): Map<string, { address: string; ports: Set<number> }> {
  const out = new Map<string, { address: string; ports: Set<number> }>();
  if (!self) return out;
  for (const s of view) {
    const ports = new Set(servedTargets(s));
    if (ports.size === 0) continue;
    for (const b of s.backends)
      if (b.nodeId === self) out.set(b.taskId, { address: b.address.split('/', 1)[0] ?? b.address, ports });
  }
  return out;
}

/** Pure: the hosts of the other nodes that run tasks in the view (from their tunnel addresses, `[v6]` bracketed). */
export function taskNodeHosts(view: readonly MeshService[], self: string): string[] {
  const out = new Set<string>();
  for (const s of view) {
    for (const b of s.backends) {
      if (b.nodeId === self || !b.tunnel) continue;
      const host = b.tunnel.replace(/:\d+$/, ''); // an IPv6 host keeps its brackets
      if (host) out.add(host);
    }
  }
  return [...out];
}
