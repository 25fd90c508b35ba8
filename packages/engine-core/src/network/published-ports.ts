// Published ports of containers (docker run -p): a userspace proxy per port on the host, forwarding
// to the container's address; the ports are kept in the sandbox record and published again after
// a daemon restart.
import { InvalidArgumentError, NotFoundError } from '../errors';
import type { Logger } from '../log';
import { type Proxy, startTcpProxy, startUdpProxy } from './proxy';
import type { NetworkStore, SandboxRecord } from './store';
import type { PortBindingRequest, PublishedPort } from './types';

export interface PublishedPortsOptions {
  /** The sandbox record of a container, if it has one. */
  sandbox(containerId: string): SandboxRecord | undefined;
  store: NetworkStore;
  log: Logger;
}

export class PublishedPorts {
  private readonly proxies = new Map<string, Proxy[]>();

  constructor(private readonly o: PublishedPortsOptions) {}

  async publish(containerId: string, containerIp: string, ports: PortBindingRequest[]): Promise<PublishedPort[]> {
    const rec = this.o.sandbox(containerId);
    if (!rec)
      throw new NotFoundError(`container ${containerId} has no network sandbox: create it before publishing ports`);
    // docker: "Published ports are discarded when using host network mode"; none has no address.
    if (rec.netnsPath === null || rec.endpoints.length === 0) return [];
    const started: Proxy[] = [];
    const published: PublishedPort[] = [];
    try {
      for (const p of ports) {
        if (p.proto !== 'tcp' && p.proto !== 'udp')
          throw new InvalidArgumentError(`invalid protocol ${String(p.proto)}: use tcp or udp`);
        if (!Number.isInteger(p.containerPort) || p.containerPort < 1 || p.containerPort > 65535)
          throw new InvalidArgumentError(`invalid container port ${p.containerPort}`);
        if (!Number.isInteger(p.hostPort) || p.hostPort < 0 || p.hostPort > 65535)
          throw new InvalidArgumentError(`invalid host port ${p.hostPort}`);
        const hostIp = p.hostIp === '0.0.0.0' ? '' : p.hostIp;
        const target = { host: containerIp, port: p.containerPort };
        const proxy =
          p.proto === 'tcp'
            ? await startTcpProxy(hostIp, p.hostPort, target, this.o.log)
            : await startUdpProxy(hostIp, p.hostPort, target, this.o.log);
        started.push(proxy);
        published.push({ ...p, hostIp: p.hostIp, hostPort: proxy.hostPort });
      }
    } catch (e) {
      await Promise.all(started.map((s) => s.close()));
      throw e;
    }
    this.proxies.set(containerId, [...(this.proxies.get(containerId) ?? []), ...started]);
    rec.ports = [
      ...rec.ports.filter(
        (old) =>
          !published.some(
            (p) => p.proto === old.proto && p.containerPort === old.containerPort && p.hostPort === old.hostPort,
          ),
      ),
      ...published,
    ];
    await this.o.store.writeSandbox(rec);
    return published;
  }

  /** The ports currently published for a container (docker port). */
  published(containerId: string): PublishedPort[] {
    return structuredClone(this.o.sandbox(containerId)?.ports ?? []);
  }

  /** Stops a container's listeners; its record keeps the ports (a destroyed sandbox takes them along). */
  async close(containerId: string): Promise<void> {
    const list = this.proxies.get(containerId) ?? [];
    this.proxies.delete(containerId);
    await Promise.all(list.map((p) => p.close()));
  }

  async unpublish(containerId: string): Promise<void> {
    await this.close(containerId);
    const rec = this.o.sandbox(containerId);
    if (rec && rec.ports.length > 0) {
      rec.ports = [];
      await this.o.store.writeSandbox(rec);
    }
  }

  /** After a daemon restart: the recovered sandboxes' ports are published again. */
  async restore(sandboxes: Iterable<SandboxRecord>): Promise<void> {
    for (const rec of sandboxes) {
      const ip = rec.endpoints[0]?.ipAddress;
      if (!ip || rec.ports.length === 0) continue;
      try {
        await this.publish(rec.containerId, ip, rec.ports);
      } catch (e) {
        this.o.log.warn(
          { containerId: rec.containerId, err: (e as Error).message },
          'could not publish the ports of a recovered container again',
        );
      }
    }
  }

  /** Daemon shutdown: every listener closed. */
  async closeAll(): Promise<void> {
    const all = [...this.proxies.values()].flat();
    this.proxies.clear();
    await Promise.all(all.map((p) => p.close()));
  }
}
