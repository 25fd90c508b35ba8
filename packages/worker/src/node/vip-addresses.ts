// Service VIPs on this node's swarm network bridges. A container on the network reaches a VIP
// like any address of its subnet: it ARPs for it on eth0, the bridge (which holds the VIP as a
// /32) answers, and the host's TCP stack hands the connection to the routing mesh listening on
// VIP:port. No overlay, IPVS or iptables involved.
import type { NetworkService } from '@flotilla/engine-core';
import { cidrContains, parseCidr, parseIp, runCommand } from '@flotilla/engine-core';
import type { MeshService } from '@flotilla/manager';
import type { Logger } from 'pino';

/** A swarm network as this node backs it: its local bridge, its subnet, the /32s on the bridge now. */
export interface SwarmBridge {
  network: string;
  bridge: string;
  subnet: string;
  present: string[];
}

export interface VipPlan {
  add: { bridge: string; ip: string }[];
  del: { bridge: string; ip: string }[];
  /** The VIPs that are (or will be, once `add` ran) on a bridge of this node. */
  local: Set<string>;
}

/** Pure: VIPs wanted on each network's bridge (by network name). */
export function wantedVips(view: readonly MeshService[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const s of view) {
    for (const n of s.networks ?? []) {
      if (!n.vip) continue;
      let set = out.get(n.name);
      if (!set) out.set(n.name, (set = new Set()));
      set.add(n.vip);
    }
  }
  return out;
}

function inSubnet(subnet: string, ip: string): boolean {
  return cidrContains(parseCidr(subnet), parseIp(ip));
}

/**
 * Pure: what to add and delete so that each bridge holds exactly the wanted VIPs of its network.
 * Only /32s inside the network's subnet count as ours (the gateway has the subnet's prefix);
 * anything else on the bridge is left alone. Without a view (`wanted` empty) every VIP goes.
 */
export function planVips(bridges: readonly SwarmBridge[], wanted: ReadonlyMap<string, ReadonlySet<string>>): VipPlan {
  const plan: VipPlan = { add: [], del: [], local: new Set() };
  for (const b of bridges) {
    const want = [...(wanted.get(b.network) ?? [])].filter((ip) => inSubnet(b.subnet, ip));
    const have = new Set(b.present.filter((ip) => inSubnet(b.subnet, ip)));
    for (const ip of want) {
      plan.local.add(ip);
      if (!have.has(ip)) plan.add.push({ bridge: b.bridge, ip });
    }
    for (const ip of have) if (!want.includes(ip)) plan.del.push({ bridge: b.bridge, ip });
  }
  return plan;
}

const ip = (args: string[], input?: string): Promise<string> => runCommand('ip', args, { input });

/** Keeps the VIPs of the mesh view on this node's swarm bridges (and only those). */
export class VipAddresses {
  /** What the last sync was for (bridges and wanted VIPs) and what it left on the bridges. */
  private last: { key: string; local: Set<string> } | null = null;

  constructor(
    private readonly networks: NetworkService,
    private readonly log?: Logger,
  ) {}

  /** This node's swarm networks that have a bridge and a subnet. */
  private async swarmNetworks(): Promise<{ Name: string; bridge: string; subnet: string }[]> {
    return (await this.networks.list()).flatMap((n) => {
      const subnet = n.IPAM.Config[0]?.Subnet;
      return n.Labels['com.docker.swarm.network'] === 'true' && n.bridge && subnet !== undefined
        ? [{ Name: n.Name, bridge: n.bridge, subnet }]
        : [];
    });
  }

  private async bridges(nets: Awaited<ReturnType<VipAddresses['swarmNetworks']>>): Promise<SwarmBridge[]> {
    if (!nets.length) return [];
    const links = JSON.parse((await ip(['-j', '-4', 'addr', 'show'])) || '[]') as {
      ifname: string;
      addr_info?: { local: string; prefixlen: number }[];
    }[];
    return nets.map((n) => ({
      network: n.Name,
      bridge: n.bridge,
      subnet: n.subnet,
      present: (links.find((l) => l.ifname === n.bridge)?.addr_info ?? [])
        .filter((a) => a.prefixlen === 32)
        .map((a) => a.local),
    }));
  }

  /** Brings the bridges in line with `view`; returns the VIPs now on this node (what the mesh may listen on). */
  async sync(view: readonly MeshService[]): Promise<Set<string>> {
    const nets = await this.swarmNetworks();
    const wanted = wantedVips(view);
    // Views change with every task state; the kernel is asked only when bridges or VIPs changed.
    const key = JSON.stringify([
      nets.map((n) => [n.Name, n.bridge, n.subnet]),
      [...wanted].map(([n, ips]) => [n, [...ips].sort()]),
    ]);
    if (this.last?.key === key) return new Set(this.last.local);
    const plan = planVips(await this.bridges(nets), wanted);
    const lines = [
      ...plan.del.map((a) => `addr del ${a.ip}/32 dev ${a.bridge}`),
      ...plan.add.map((a) => `addr add ${a.ip}/32 dev ${a.bridge}`),
    ];
    let ok = true;
    if (lines.length) {
      // -force: one failed line (an address someone removed meanwhile) does not stop the rest.
      await ip(['-force', '-batch', '-'], lines.join('\n') + '\n').catch((e: Error) => {
        ok = false;
        this.log?.warn({ err: e.message }, 'could not update every service VIP on the bridges');
      });
      this.log?.info(
        { added: plan.add.map((a) => a.ip), removed: plan.del.map((a) => a.ip) },
        'service VIPs on the bridges updated',
      );
    }
    // After a failure the next view looks at the kernel again.
    this.last = ok ? { key, local: plan.local } : null;
    return new Set(plan.local);
  }

  /** Removes every VIP from the swarm bridges (daemon stop, swarm leave, and at start before the first view). */
  async clear(): Promise<void> {
    this.last = null;
    await this.sync([]);
    // The next view reads the kernel again whatever it holds.
    this.last = null;
  }
}
