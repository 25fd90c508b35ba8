// Making a network: its record (docker's shape), its subnet (given, or a free /24 claimed under
// the host lock so that two daemons never pick the same one) and its Linux bridge.
import { ConflictError, InvalidArgumentError } from '../errors';
import { withHostLock } from './host-lock';
import { hostUsedPrefixes } from './host-routes';
import { AddressPool, type IpamConfig, pickSubnet } from './ipam';
import { type Cidr, formatCidr, formatIp, overlaps, parseCidr, parseIp } from './ipv4';
import { ensureBridge } from './kernel';
import { newNetworkId } from './names';
import type { NetState } from './network-table';
import type { NetworkRecord } from './types';

export interface BridgeNetworkRequest {
  name: string;
  driver: 'bridge' | 'overlay';
  bridge: string;
  predefined?: boolean;
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  internal?: boolean;
  attachable?: boolean;
  labels?: Record<string, string>;
  options?: Record<string, string>;
}

export function baseRecord(
  name: string,
  driver: NetworkRecord['Driver'],
  scope: NetworkRecord['Scope'],
): NetworkRecord {
  return {
    Id: newNetworkId(),
    Name: name,
    Driver: driver,
    Scope: scope,
    Created: new Date().toISOString(),
    Internal: false,
    Attachable: false,
    IPAM: { Driver: 'default', Config: [] },
    Options: {},
    Labels: {},
  };
}

export class BridgeNetworkFactory {
  /**
   * @param lockPath one lock for every daemon of the host
   * @param ipam the address pools for networks created without --subnet
   */
  constructor(
    private readonly lockPath: string,
    private readonly ipam: IpamConfig,
  ) {}

  /** Picks a /24 nothing on the host routes and makes `bridge` its gateway, under the host lock (the bridge address makes the subnet visible to other daemons). */
  claimFreeSubnet(bridge: string, own: Cidr[]): Promise<AddressPool> {
    return withHostLock(this.lockPath, async () => {
      const pool = new AddressPool(pickSubnet(this.ipam, [...(await hostUsedPrefixes()), ...own]));
      await ensureBridge(bridge, `${formatIp(pool.gateway)}/${pool.subnet.prefix}`, { exists: false });
      return pool;
    });
  }

  /** A new bridge network beside the subnets `own` (those of this daemon's networks), its bridge made. */
  async create(o: BridgeNetworkRequest, own: Cidr[]): Promise<NetState> {
    const record = baseRecord(o.name, o.driver, o.driver === 'overlay' ? 'swarm' : 'local');
    record.Internal = o.internal ?? false;
    record.Attachable = o.attachable ?? false;
    record.Labels = { ...o.labels };
    record.Options = o.predefined
      ? {
          'com.docker.network.bridge.default_bridge': 'true',
          'com.docker.network.bridge.enable_ip_masquerade': 'true',
          'com.docker.network.bridge.name': o.bridge,
        }
      : { ...o.options };
    record.bridge = o.bridge;
    let pool: AddressPool;
    if (o.subnet) {
      const subnet = parseCidr(o.subnet, true);
      if (own.some((s) => overlaps(s, subnet)))
        throw new ConflictError(
          `invalid pool request: Pool overlaps with other one on this address space (${o.subnet}): pick another --subnet`,
        );
      pool = new AddressPool(
        subnet,
        o.gateway ? parseIp(o.gateway) : undefined,
        o.ipRange ? parseCidr(o.ipRange, true) : undefined,
      );
      await ensureBridge(o.bridge, `${formatIp(pool.gateway)}/${subnet.prefix}`, { exists: false });
    } else {
      if (o.gateway) throw new InvalidArgumentError('a --gateway needs a --subnet');
      if (o.ipRange)
        throw new InvalidArgumentError(`no matching subnet for range ${o.ipRange}: an --ip-range needs a --subnet`);
      pool = await this.claimFreeSubnet(o.bridge, own);
    }
    record.IPAM.Config = [
      {
        Subnet: formatCidr(pool.subnet),
        Gateway: formatIp(pool.gateway),
        ...(o.ipRange ? { IPRange: formatCidr(pool.ipRange) } : {}),
      },
    ];
    return { record, pool, members: new Map() };
  }
}
