import type { NetworkService } from '@flotilla/engine-core';
import type { Task } from '@flotilla/manager';

/**
 * A swarm network (an "overlay" in the compose file) is backed on each node by a local bridge of
 * the same name, made on first use with the subnet the manager allocated to it (from `swarm init
 * --default-addr-pool`), so every node agrees on it. Traffic between nodes goes through the
 * routing mesh; container-to-container traffic across nodes (vxlan) is not built yet.
 */
export class TaskNetworks {
  private readonly creating = new Map<string, Promise<void>>();

  constructor(private readonly networks: NetworkService) {}

  async forTask(task: Task): Promise<{ name: string; aliases: string[] } | null> {
    const attachment = task.Spec.Networks?.[0];
    if (!attachment) return null;
    const name = attachment.Target;
    await this.ensure(name, task);
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
      if (!ipam || existing.IPAM.Config[0]?.Subnet === ipam.Subnet) return;
      // Left over from an earlier allocation: replace it while no container uses it.
      if (Object.keys((await this.networks.inspect(existing.Id)).Containers).length) return;
      await this.networks.remove(existing.Id);
    }
    const ns = task.Spec.ContainerSpec.Labels?.['com.docker.stack.namespace'];
    await this.networks.create({
      name,
      driver: 'overlay',
      attachable: true,
      ...(ipam ? { subnet: ipam.Subnet, gateway: ipam.Gateway } : {}),
      labels: { 'com.docker.swarm.network': 'true', ...(ns ? { 'com.docker.stack.namespace': ns } : {}) },
    });
  }
}
