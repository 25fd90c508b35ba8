// Recovery of the networks at daemon start: the records of networks.json come back with their
// address pools and bridges (made again when deleted meanwhile); a bridge no record names goes.
import type { Logger } from '../log';
import type { BridgeNetworkFactory } from './bridge-network';
import { hostUsedPrefixes } from './host-routes';
import { AddressPool } from './ipam';
import { type Cidr, formatCidr, formatIp, overlaps, parseCidr, parseIp } from './ipv4';
import { deleteLink, ensureBridge } from './kernel';
import type { NetworkNames } from './names';
import type { NetState, NetworkTable } from './network-table';
import type { NetworkStore } from './store';
import type { NetworkRecord } from './types';

export interface NetworkRecoveryOptions {
  names: NetworkNames;
  networks: NetworkTable;
  store: NetworkStore;
  factory: BridgeNetworkFactory;
  log: Logger;
}

export class NetworkRecovery {
  constructor(private readonly o: NetworkRecoveryOptions) {}

  /** `links`: the host's links now. Fills the table from the networks file (persisting it when a subnet moved). */
  async recover(links: { name: string }[], signal?: AbortSignal): Promise<void> {
    const { networks, store } = this.o;
    const bridges = new Set(links.filter((l) => l.name.startsWith(this.o.names.bridgePrefix)).map((l) => l.name));
    const file = await store.readNetworks();
    networks.reset(file?.nextBridge ?? 1);
    const records = file?.networks ?? [];
    // What else on the host routes addresses: a bridge recreated on a subnet taken meanwhile (by
    // another daemon's network, say) would leave its containers unreachable.
    const hostUsed = records.some((r) => r.bridge && !bridges.has(r.bridge))
      ? await hostUsedPrefixes({ signal }).catch(() => [] as Cidr[])
      : [];
    let moved = false;
    for (const record of records) {
      const state: NetState = { record, members: new Map() };
      const cfg = record.IPAM.Config[0];
      if (cfg && record.bridge)
        state.pool = new AddressPool(
          parseCidr(cfg.Subnet, true),
          parseIp(cfg.Gateway),
          cfg.IPRange ? parseCidr(cfg.IPRange, true) : undefined,
        );
      networks.add(state);
      if (!record.bridge) continue;
      const exists = bridges.has(record.bridge);
      bridges.delete(record.bridge);
      const pool = state.pool;
      if (
        !exists &&
        pool &&
        hostUsed.some((u) => overlaps(u, pool.subnet)) &&
        (await this.moveTakenSubnet(state, record.bridge, pool, records))
      ) {
        moved = true;
        continue;
      }
      await ensureBridge(record.bridge, `${cfg?.Gateway}/${state.pool?.prefixLen}`, { exists, signal });
    }
    if (moved) await store.writeNetworks(networks.file());
    // Bridges of networks this daemon no longer knows (removed while it was down, or a lost state file).
    for (const b of bridges) await deleteLink(b);
  }

  /**
   * A network's subnet is routed elsewhere on the host now. The default bridge with no container
   * on it moves to a free subnet, its bridge made there (true: persist the change); any other
   * network keeps its subnet, with a warning that says what to do (false).
   */
  private async moveTakenSubnet(
    state: NetState,
    bridge: string,
    pool: AddressPool,
    records: NetworkRecord[],
  ): Promise<boolean> {
    const record = state.record;
    const was = formatCidr(pool.subnet);
    const used = (await this.o.store.readSandboxes()).some(
      (sb) => sb.networkId === record.Id || (sb.attachments ?? []).some((a) => a.networkId === record.Id),
    );
    if (record.Name !== 'bridge' || used) {
      this.o.log.warn(
        { network: record.Name, subnet: was },
        "this network's subnet is routed elsewhere on this host now (another daemon's network?): its containers may be unreachable; remove the other interface, or recreate the network",
      );
      return false;
    }
    const own = records.filter((r) => r !== record).flatMap((r) => r.IPAM.Config.map((c) => parseCidr(c.Subnet, true)));
    const moved = await this.o.factory.claimFreeSubnet(bridge, own);
    state.pool = moved;
    const now = formatCidr(moved.subnet);
    record.IPAM.Config = [{ Subnet: now, Gateway: formatIp(moved.gateway) }];
    this.o.log.warn(
      { was, now },
      "the default bridge network's subnet is routed elsewhere on this host now: moved it to a free one",
    );
    return true;
  }
}
