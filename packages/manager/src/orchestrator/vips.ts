// Service virtual IPs: one address per swarm network a vip-mode service is attached to. Pure: the
// store's state goes in, the addresses to record go out; the orchestrator writes them in its pass.
import { formatCidr, formatIp, parseCidr, parseIp, type Cidr } from '@flotilla/engine-core';
import type { NetworkObject } from '../store/tables';
import { VipExhaustedError } from './errors';
import type { Service, VirtualIP } from '../store/types';

/** The address of a VIP ("a.b.c.d/len" -> "a.b.c.d"). */
const addressOf = (cidr: string): string => cidr.split('/', 1)[0] ?? cidr;

/**
 * A swarm network's subnet is split in two halves: nodes hand task addresses out of the lower
 * half (given to them as the IPAM IPRange of the network attachment), the managers allocate
 * service VIPs out of the upper half. Nodes allocate locally and never hear of each other's
 * tasks, so only disjoint ranges make a VIP safe from ever equalling a task's address.
 * Subnets smaller than /29 are not split (no VIPs there; their services behave as dnsrr).
 */
export function subnetHalves(subnet: string): { tasks: string; vips: Cidr } | undefined {
  const c = parseCidr(subnet, true);
  if (c.prefix > 29) return undefined;
  const half = c.prefix + 1;
  return {
    tasks: formatCidr({ base: c.base, prefix: half }),
    vips: { base: (c.base + 2 ** (32 - half)) >>> 0, prefix: half },
  };
}

/** The IPAM IPRange nodes allocate task addresses from on this subnet (undefined: the whole subnet). */
export function taskIpRange(subnet: string): string | undefined {
  return subnetHalves(subnet)?.tasks;
}

/** The networks a service is on, in the order of its spec (first mention wins). */
export function serviceNetworkNames(s: Service): string[] {
  return [...new Set((s.Spec.TaskTemplate.Networks ?? []).map((n) => n.Target))];
}

/** VIPs every service holds, by network ID (the addresses a new VIP must avoid). */
export function vipsInUse(services: readonly Service[]): Map<string, Map<number, string>> {
  const out = new Map<string, Map<number, string>>();
  for (const s of services) {
    for (const v of s.Endpoint?.VirtualIPs ?? []) {
      let m = out.get(v.NetworkID);
      if (!m) out.set(v.NetworkID, (m = new Map()));
      m.set(parseIp(addressOf(v.Addr)), s.ID);
    }
  }
  return out;
}

/**
 * The VIPs a service should hold: none in dnsrr mode; else one per network it is on, kept if it
 * already has a valid one there, otherwise the lowest free address of the subnet's upper half
 * (the broadcast address excluded). Deterministic, so a new leader that reruns it on the same
 * state computes the same addresses. `inUse` (network ID -> address -> service ID) is updated
 * with what this service takes and gives back.
 */
export function desiredVips(
  s: Service,
  networks: ReadonlyMap<string, NetworkObject>,
  inUse: Map<string, Map<number, string>>,
): VirtualIP[] {
  const vip = (s.Spec.EndpointSpec?.Mode ?? 'vip') === 'vip';
  const out: VirtualIP[] = [];
  const keep = new Set<string>();
  for (const name of vip ? serviceNetworkNames(s) : []) {
    const net = networks.get(name);
    const subnet = net?.Spec.IPAM?.Config?.[0]?.Subnet;
    const halves = subnet ? subnetHalves(subnet) : undefined;
    if (!net || !halves) continue;
    let used = inUse.get(net.ID);
    if (!used) inUse.set(net.ID, (used = new Map()));
    const prefix = parseCidr(subnet!).prefix;
    const have = s.Endpoint?.VirtualIPs?.find((v) => v.NetworkID === net.ID);
    const haveIp = have ? parseIp(addressOf(have.Addr)) : undefined;
    let ip: number | undefined;
    if (haveIp !== undefined && inRange(halves.vips, haveIp) && (used.get(haveIp) ?? s.ID) === s.ID) ip = haveIp;
    else {
      const last = lastHost(halves.vips);
      for (let a = halves.vips.base; a <= last; a++) {
        if (!used.has(a)) {
          ip = a;
          break;
        }
      }
    }
    if (ip === undefined) throw new VipExhaustedError(name, formatCidr(halves.vips));
    used.set(ip, s.ID);
    keep.add(`${net.ID}/${ip}`);
    out.push({ NetworkID: net.ID, Addr: `${formatIp(ip)}/${prefix}` });
  }
  // What the service held and gives back (it left the network, or went dnsrr).
  for (const v of s.Endpoint?.VirtualIPs ?? []) {
    const ip = parseIp(addressOf(v.Addr));
    if (!keep.has(`${v.NetworkID}/${ip}`) && inUse.get(v.NetworkID)?.get(ip) === s.ID)
      inUse.get(v.NetworkID)!.delete(ip);
  }
  return out;
}

function inRange(c: Cidr, ip: number): boolean {
  return ip >= c.base && ip <= lastHost(c);
}

/** The last address of the upper half is the subnet's broadcast address: never a VIP. */
function lastHost(c: Cidr): number {
  return (c.base + 2 ** (32 - c.prefix) - 2) >>> 0;
}

export function sameVips(a: readonly VirtualIP[] | undefined, b: readonly VirtualIP[]): boolean {
  const x = a ?? [];
  return x.length === b.length && x.every((v, i) => v.NetworkID === b[i]?.NetworkID && v.Addr === b[i]?.Addr);
}
