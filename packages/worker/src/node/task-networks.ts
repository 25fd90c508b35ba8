import type { NetworkService } from '@flotilla/engine-core';
import type { Task } from '@flotilla/manager';

/**
 * A swarm network (an "overlay" in the compose file) is backed on each node by a local bridge of
 * the same name, made on first use with the subnet the manager allocated to it (from `swarm init
 * --default-addr-pool`), so every node agrees on it. Traffic between nodes goes through the
 * routing mesh (service VIPs included); container-to-container traffic across nodes (vxlan) is
 * not built.
 */
export class TaskNetworks {
  private readonly creating = new Map<string, Promise<void>>();

  /** `onCreated`: a swarm network's bridge was just made on this node (its service VIPs go on it). */
  constructor(
    private readonly networks: NetworkService,
    private readonly onCreated?: (name: string) => void,
  ) {}

  /**
   * The network a task's container joins and its aliases there. In vip mode the service's name
   * and aliases are no container aliases: they are service names, answered with the VIP by the
   * node's DnsSource (as in Docker, where `redis` is the VIP, not one task's address). In dnsrr
   * mode the container keeps them (the names answer task addresses).
   */
  async forTask(task: Task): Promise<{ name: string; aliases: string[] } | null> {
    const attachment = task.Spec.Networks?.[0];
    if (!attachment) return null;
    const name = attachment.Target;
    await this.ensure(name, task);
    if ((task.Endpoint?.Spec?.Mode ?? 'vip') === 'vip') return { name, aliases: [] };
    const service = task.ServiceAnnotations?.Name;
    const aliases = [...new Set([...(attachment.Aliases ?? []), ...(service ? [service] : [])])];
    return { name, aliases };
  }

  private ensure(name: string, task: Task): Promise<void> {
    let p = this.creating.get(name);
    if (!p) {
      p = this.create(name, task).finally(() => this.creating.delete(name));
      this.creating.set(name, p);
    }
    return p;
  }

  private async create(name: string, task: Task): Promise<void> {
    const ipam = task.NetworksAttachments?.find((a) => a.Network.Spec.Name === name)?.Network.IPAMOptions?.Configs?.[0];
    const existing = (await this.networks.list()).find((n) => n.Name === name);
    if (existing) {
      const cfg = existing.IPAM.Config[0];
      if (!ipam || (cfg?.Subnet === ipam.Subnet && cfg?.IPRange === ipam.IPRange)) return;
      // Left over from an earlier allocation: replace it while no container uses it.
      if (Object.keys((await this.networks.inspect(existing.Id)).Containers).length) return;
      await this.networks.remove(existing.Id);
    }
    if (ipam) await this.removeStale(name, ipam.Subnet);
    const ns = task.Spec.ContainerSpec.Labels?.['com.docker.stack.namespace'];
    await this.networks.create({
      name,
      driver: 'overlay',
      attachable: true,
      // ipRange: the lower half of the subnet; the managers give the upper half to service VIPs.
      ...(ipam
        ? { subnet: ipam.Subnet, gateway: ipam.Gateway, ...(ipam.IPRange ? { ipRange: ipam.IPRange } : {}) }
        : {}),
      labels: { 'com.docker.swarm.network': 'true', ...(ns ? { 'com.docker.stack.namespace': ns } : {}) },
    });
    this.onCreated?.(name);
  }

  /**
   * The bridges of swarm networks removed since (a stack rm): the manager may give their subnet
   * to a new network, which this node could then not make ("Pool overlaps"). One that holds the
   * subnet and no container goes; one still in use stays (its tasks are on their way out).
   */
  private async removeStale(name: string, subnet: string): Promise<void> {
    for (const n of await this.networks.list()) {
      if (n.Name === name || n.Labels?.['com.docker.swarm.network'] !== 'true') continue;
      if (!n.IPAM.Config.some((c) => c.Subnet === subnet)) continue;
      if (Object.keys((await this.networks.inspect(n.Id)).Containers).length) continue;
      await this.networks.remove(n.Id);
    }
  }
}
