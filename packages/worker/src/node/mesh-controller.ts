import type { MeshService } from '@flotilla/manager';
import type { Logger } from 'pino';
import type { Backend, RoutingMesh } from '../mesh';

/**
 * Keeps this node's routing mesh in line with the cluster's view: every ingress port listened on,
 * each port's backends = the service's running tasks. Tasks on this node are dialled directly;
 * tasks on other nodes need the inter-node tunnel (multi-node issue) and are left out until then.
 */
export class MeshController {
  private published = new Map<number, string>();
  private backends = new Map<string, string>();
  private chain: Promise<void> = Promise.resolve();
  private last: MeshService[] = [];
  private retry: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly mesh: RoutingMesh, private readonly nodeId: () => string, private readonly log?: Logger) {}

  update(view: MeshService[]): void {
    this.last = view;
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
        const local: Backend[] = s.backends.filter((b) => b.nodeId === this.nodeId()).map((b) => ({ taskId: b.taskId, address: b.address.split('/')[0]!, port: p.target }));
        const key = `${s.serviceId}/${p.target}`;
        const json = JSON.stringify(local);
        if (this.backends.get(key) !== json) {
          await this.mesh.setBackends(s.serviceId, p.target, local);
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
