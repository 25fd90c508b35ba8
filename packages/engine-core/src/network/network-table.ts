// The networks of one daemon in memory: each record with its address pool and its members, found
// by ID, name or unique ID prefix like docker. Members of user-defined networks are named in the
// embedded DNS as they join and leave.
import { InvalidArgumentError, NotFoundError } from '../errors';
import type { EmbeddedDns } from './dns/embedded-dns';
import type { AddressPool } from './ipam';
import type { NatNetwork } from './iptables';
import { formatCidr, formatIp } from './ipv4';
import { macFromIp, newEndpointId } from './names';
import type { NetworksFile } from './store';
import type { EndpointInfo, NetworkRecord } from './types';

export interface Member {
  name: string;
  endpoint?: EndpointInfo;
}

export interface NetState {
  record: NetworkRecord;
  pool?: AddressPool;
  members: Map<string, Member>;
}

export const PREDEFINED = new Set(['bridge', 'host', 'none']);

export class NetworkTable {
  private networks = new Map<string, NetState>();
  /** The next bridge number for a user network (0 is the default bridge). */
  nextBridge = 1;

  constructor(private readonly dns: EmbeddedDns) {}

  /** Starts over from the networks file (daemon start). */
  reset(nextBridge: number): void {
    this.networks = new Map();
    this.nextBridge = nextBridge;
  }

  get size(): number {
    return this.networks.size;
  }

  values(): IterableIterator<NetState> {
    return this.networks.values();
  }

  get(id: string): NetState | undefined {
    return this.networks.get(id);
  }

  has(id: string): boolean {
    return this.networks.has(id);
  }

  add(state: NetState): void {
    this.networks.set(state.record.Id, state);
  }

  delete(id: string): void {
    this.networks.delete(id);
  }

  /** By exact ID, exact name, or unique ID prefix, like docker. */
  find(idOrName: string): NetState {
    const all = [...this.networks.values()];
    const hit =
      all.find((n) => n.record.Id === idOrName) ??
      all.find((n) => n.record.Name === idOrName) ??
      (() => {
        const byPrefix = idOrName ? all.filter((n) => n.record.Id.startsWith(idOrName)) : [];
        if (byPrefix.length > 1)
          throw new InvalidArgumentError(
            `network ${idOrName} is ambiguous (${byPrefix.length} matches): use more of the ID or the name`,
          );
        return byPrefix[0];
      })();
    if (!hit) throw new NotFoundError(`network ${idOrName} not found`);
    return hit;
  }

  /** A container on a network: its inspect entry and, on user-defined networks, its names in the DNS. */
  join(net: NetState, containerId: string, member: Member): void {
    net.members.set(containerId, member);
    const ep = member.endpoint;
    if (ep)
      this.dns.join(net.record.Id, { containerId, name: member.name, aliases: ep.aliases, ipAddress: ep.ipAddress });
  }

  leave(net: NetState | undefined, containerId: string): void {
    if (!net) return;
    net.members.delete(containerId);
    this.dns.leave(net.record.Id, containerId);
  }

  /** A new endpoint with address `ip` on a network that has a pool. */
  endpoint(net: NetState, pool: AddressPool, ip: string, aliases: string[] = []): EndpointInfo {
    return {
      networkId: net.record.Id,
      networkName: net.record.Name,
      endpointId: newEndpointId(),
      ipAddress: ip,
      prefixLen: pool.prefixLen,
      gateway: formatIp(pool.gateway),
      macAddress: macFromIp(ip),
      aliases: [...aliases],
    };
  }

  /** The bridges NAT rules are written for. */
  natNetworks(): NatNetwork[] {
    return [...this.networks.values()].flatMap((n) =>
      n.record.bridge && n.pool
        ? [{ bridge: n.record.bridge, subnet: formatCidr(n.pool.subnet), internal: n.record.Internal }]
        : [],
    );
  }

  /** What networks.json holds. */
  file(): NetworksFile {
    return { version: 1, nextBridge: this.nextBridge, networks: [...this.networks.values()].map((n) => n.record) };
  }
}
