import type { NetworkService } from '@flotilla/engine-core';
import type { Task } from '@flotilla/manager';

/**
 * A swarm network (an "overlay" in the compose file) is backed on each node by a local bridge of
 * the same name, made on first use. Multi-node overlays (vxlan between nodes) come with issue 5.
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
      p = (async () => {
        const existing = (await this.networks.list()).find((n) => n.Name === name);
        if (existing) return;
        const ns = task.Spec.ContainerSpec.Labels?.['com.docker.stack.namespace'];
        await this.networks.create({ name, driver: 'overlay', attachable: true, labels: { 'com.docker.swarm.network': 'true', ...(ns ? { 'com.docker.stack.namespace': ns } : {}) } });
      })().finally(() => this.creating.delete(name));
      this.creating.set(name, p);
    }
    return p;
  }
}
