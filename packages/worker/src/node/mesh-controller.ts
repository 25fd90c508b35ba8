import type { MeshService } from '@flotilla/manager';
import type { Logger } from 'pino';
import type { Backend, RoutingMesh } from '../mesh';

/**
 * Keeps this node's routing mesh in line with the cluster's view: every ingress port listened on,
 * each port's backends = the service's running tasks on every node. Tasks on this node are
 * dialled directly; tasks on other nodes through their node's mesh tunnel (left out while the
 * view has no tunnel address for that node).
 */
export class MeshController {
  private published = new Map<number, string>();
  private backends = new Map<string, string>();
  private chain: Promise<void> = Promise.resolve();
  private last: MeshService[] = [];
  private retry: NodeJS.Timeout | null = null;
  private closed = false;
  /** The tasks running on this node by ID: what this node's tunnel listener may connect to. */
  private localTasks = new Map<string, { address: string; ports: Set<number> }>();

  constructor(private readonly mesh: RoutingMesh, private readonly nodeId: () => string, private readonly log?: Logger) {}

  update(view: MeshService[]): void {
    this.last = view;
    this.localTasks = localTasksOf(view, this.nodeId());
    this.chain = this.chain.then(() => this.apply(view)).catch((e: Error) => this.log?.error({ err: e }, 'routing mesh update failed'));
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
   * service's ingress ports) according to the current view, else undefined. The tunnel listener
   * asks this before it connects anywhere.
   */
  localTarget(taskId: string, port: number): string | undefined {
    const t = this.localTasks.get(taskId);
    return t && t.ports.has(port) ? t.address : undefined;
  }

  async idle(): Promise<void> {
    await this.chain;
  }

  private async apply(view: MeshService[]): Promise<void> {
    const want = new Map<number, { serviceId: string; target: number }>();
    for (const s of view) for (const p of s.ports) if (p.protocol === 'tcp') want.set(p.published, { serviceId: s.serviceId, target: p.target });
    for (const [port, serviceId] of this.published) {
      const w = want.get(port);
      if (!w || w.serviceId !== serviceId) {
        await this.mesh.unpublish(port);
        this.published.delete(port);
      }
    }
    for (const s of view) {
      for (const p of s.ports) {
        if (p.protocol !== 'tcp') continue;
        const backends = backendsFor(s, p.target, this.nodeId());
        const key = `${s.serviceId}/${p.target}`;
        const json = JSON.stringify(backends);
        if (this.backends.get(key) !== json) {
          await this.mesh.setBackends(s.serviceId, p.target, backends);
          this.backends.set(key, json);
        }
        if (!this.published.has(p.published)) {
          try {
            await this.mesh.publish({ published: p.published, target: p.target, protocol: 'tcp' }, s.serviceId);
            this.published.set(p.published, s.serviceId);
          } catch (e) {
            this.log?.error({ err: e, port: p.published }, 'cannot publish ingress port: retrying every second');
            this.retryLater();
          }
        }
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
    for (const port of this.published.keys()) await this.mesh.unpublish(port).catch(() => undefined);
    this.published.clear();
  }
}

/** Pure: a service port's backends as this node's mesh dials them. */
export function backendsFor(s: MeshService, target: number, self: string): Backend[] {
  const out: Backend[] = [];
  for (const b of s.backends) {
    const address = b.address.split('/')[0]!;
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
    const ports = new Set(s.ports.filter((p) => p.protocol === 'tcp').map((p) => p.target));
    if (ports.size === 0) continue;
    for (const b of s.backends) if (b.nodeId === self) out.set(b.taskId, { address: b.address.split('/')[0]!, ports });
  }
  return out;
}
