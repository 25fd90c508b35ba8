import { defaultGateway, formatCidr, formatIp, parseCidr, pickSubnet } from '@flotilla/engine-core';
import { newId, type TxBuilder } from '../store/store';
import { CLUSTER_OBJECT_ID, type NetworkObject } from '../store/tables';
import type { NetworkAttachment, Task } from '../store/types';
import { taskIpRange } from './vips';

/**
 * Swarm networks get their subnets from the cluster, not from each node: `swarm init
 * --default-addr-pool` decides where they come from, and every node backs the network with the
 * same subnet. Kept apart from the engine's own default pool (198.19.0.0/17) so that a node's
 * local networks never collide with a swarm network it is asked to create later.
 */
export const DEFAULT_SWARM_ADDR_POOL = ['198.19.128.0/17'];
export const DEFAULT_SWARM_SUBNET_SIZE = 24;

/** One orchestrator pass: networks created in this transaction are not visible to `tx` reads yet. */
export class NetworkAllocator {
  private readonly made = new Map<string, NetworkObject>();

  constructor(
    private readonly tx: TxBuilder,
    private readonly at: string,
  ) {}

  /** The task with an attachment (and an allocated subnet) for every network its spec names. */
  attach(task: Task): Task {
    const targets = task.Spec.Networks ?? [];
    if (!targets.length) return task;
    const NetworksAttachments: NetworkAttachment[] = targets.map((t) => {
      const n = this.ensure(t.Target);
      const Configs = (n.Spec.IPAM?.Config ?? []).map((c) => {
        // Networks made before VIPs were recorded their subnet only: the range follows from it.
        const IPRange = c.IPRange ?? taskIpRange(c.Subnet!);
        return { Subnet: c.Subnet!, Gateway: c.Gateway!, ...(IPRange ? { IPRange } : {}) };
      });
      return { Network: { ID: n.ID, Spec: { Name: n.Spec.Name, Driver: n.Spec.Driver }, IPAMOptions: { Configs } } };
    });
    return { ...task, NetworksAttachments };
  }

  /** The swarm network of that name, made (with a subnet from the cluster pool) if there is none. */
  ensure(name: string): NetworkObject {
    const existing = this.made.get(name) ?? this.tx.findByName('networks', name);
    if (existing) return existing;
    const cluster = this.tx.get('clusters', CLUSTER_OBJECT_ID);
    const size = cluster?.SubnetSize ?? DEFAULT_SWARM_SUBNET_SIZE;
    const pools = (cluster?.DefaultAddrPool?.length ? cluster.DefaultAddrPool : DEFAULT_SWARM_ADDR_POOL).map(
      (base) => ({ base, size }),
    );
    const used = [...this.tx.list('networks'), ...this.made.values()].flatMap((n) =>
      (n.Spec.IPAM?.Config ?? []).map((c) => c.Subnet!),
    );
    const subnet = pickSubnet(
      { pools },
      used.map((u) => parseCidr(u)),
    );
    const IPRange = taskIpRange(formatCidr(subnet));
    const net: NetworkObject = {
      ID: newId(),
      Version: { Index: 0 },
      CreatedAt: this.at,
      UpdatedAt: this.at,
      Spec: {
        Name: name,
        Driver: 'overlay',
        IPAM: {
          Config: [
            { Subnet: formatCidr(subnet), Gateway: formatIp(defaultGateway(subnet)), ...(IPRange ? { IPRange } : {}) },
          ],
        },
      },
    };
    this.tx.create('networks', net);
    this.made.set(name, net);
    return net;
  }
}

/** Networks no service names any more and no unfinished task uses: their subnets go back to the pool. */
export function releaseUnusedNetworks(tx: TxBuilder): void {
  const named = new Set<string>();
  for (const s of tx.list('services')) for (const n of s.Spec.TaskTemplate.Networks ?? []) named.add(n.Target);
  for (const t of tx.list('tasks')) for (const a of t.NetworksAttachments ?? []) named.add(a.Network.Spec.Name);
  for (const n of tx.list('networks')) if (!named.has(n.Spec.Name)) tx.delete('networks', n.ID);
}
