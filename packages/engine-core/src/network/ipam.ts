// IP address management. Pure: the host's used routes come in as data, state goes out as JSON.
import { ConflictError, EngineError, InvalidArgumentError } from '../errors';
import { type Cidr, carve, contains, formatCidr, formatIp, overlaps, parseCidr, parseIp, size } from './ipv4';

export interface IpamConfig {
  /** Pools the default subnets are carved from, in order of preference. */
  pools: { base: string; size: number }[];
}

/** This workplace reserves the private ranges for its own hosts, so containers use a benchmark range. */
// The upper half, 198.19.128.0/17, is the swarm's default address pool (cluster-allocated overlay subnets).
export const DEFAULT_IPAM_CONFIG: IpamConfig = { pools: [{ base: '198.19.0.0/17', size: 24 }] };

/**
 * The first subnet of the pools that overlaps nothing in `used` (the host's routes and addresses and
 * the subnets of existing networks), so that several daemons on one host pick different subnets.
 */
export function pickSubnet(config: IpamConfig, used: readonly Cidr[]): Cidr {
  for (const pool of config.pools) {
    for (const candidate of carve(parseCidr(pool.base, true), pool.size)) {
      if (!used.some((u) => overlaps(u, candidate))) return candidate;
    }
  }
  throw new EngineError(
    'could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network: remove unused networks or pass --subnet',
  );
}

/** The first host address: docker's default gateway. */
export function defaultGateway(subnet: Cidr): number {
  if (subnet.prefix > 30)
    throw new InvalidArgumentError(`subnet ${formatCidr(subnet)} is too small for a gateway and containers`);
  return (subnet.base + 1) >>> 0;
}

export interface AddressPoolState {
  subnet: string;
  gateway: string;
  /** docker's --ip-range: the part of the subnet automatic addresses come from (default: all of it). */
  ipRange?: string;
  allocated: string[];
  /** Where the next search starts: addresses are handed out round-robin so a released one is not reused at once (stale ARP entries). */
  next: string;
}

/**
 * The addresses of one subnet: network, broadcast and gateway are never handed out. With an
 * `ipRange` (docker's --ip-range, a prefix inside the subnet) automatic addresses come from that
 * range only; a static --ip may be anywhere in the subnet, as in docker. Swarm networks use this
 * to keep the upper half of the subnet for the managers' service VIPs.
 */
export class AddressPool {
  readonly subnet: Cidr;
  readonly gateway: number;
  readonly ipRange: Cidr;
  private readonly used = new Set<number>();
  private next: number;

  constructor(subnet: Cidr, gateway?: number, ipRange?: Cidr) {
    this.subnet = subnet;
    this.gateway = gateway ?? defaultGateway(subnet);
    if (!contains(subnet, this.gateway))
      throw new InvalidArgumentError(`gateway ${formatIp(this.gateway)} is not in subnet ${formatCidr(subnet)}`);
    if (ipRange && (ipRange.prefix < subnet.prefix || !contains(subnet, ipRange.base))) {
      throw new InvalidArgumentError(
        `no matching subnet for range ${formatCidr(ipRange)}: the --ip-range must lie inside the --subnet ${formatCidr(subnet)}`,
      );
    }
    this.ipRange = ipRange ?? subnet;
    this.next = (this.ipRange.base + (this.ipRange === subnet ? 1 : 0)) >>> 0;
  }

  get prefixLen(): number {
    return this.subnet.prefix;
  }

  /** A specific address (static --ip) or the next free one. */
  allocate(wanted?: string): string {
    if (wanted !== undefined && wanted !== '') {
      const ip = parseIp(wanted);
      if (!contains(this.subnet, ip) || this.reserved(ip)) {
        throw new InvalidArgumentError(`no configured subnet or ip-range contain the IP address ${wanted}`);
      }
      if (this.used.has(ip))
        throw new ConflictError(`Address already in use: ${wanted} is taken on ${formatCidr(this.subnet)}`);
      this.used.add(ip);
      return wanted;
    }
    const range = this.ipRange;
    const n = size(range);
    const from = contains(range, this.next) ? this.next : range.base;
    for (let i = 0; i < n; i++) {
      const ip = (range.base + ((from - range.base + i) % n)) >>> 0;
      if (this.reserved(ip) || this.used.has(ip)) continue;
      this.used.add(ip);
      this.next = (range.base + ((ip - range.base + 1) % n)) >>> 0;
      return formatIp(ip);
    }
    throw new ConflictError(
      `no available IPv4 addresses on this network's address pool ${formatCidr(range)}: remove unused containers or use a larger subnet`,
    );
  }

  release(ip: string): void {
    this.used.delete(parseIp(ip));
  }

  isAllocated(ip: string): boolean {
    return this.used.has(parseIp(ip));
  }

  allocated(): string[] {
    return [...this.used].sort((a, b) => a - b).map(formatIp);
  }

  private reserved(ip: number): boolean {
    const last = (this.subnet.base + size(this.subnet) - 1) >>> 0;
    // /31 and /32 have no network or broadcast address (RFC 3021)
    if (this.subnet.prefix < 31 && (ip === this.subnet.base || ip === last)) return true;
    return ip === this.gateway;
  }

  toJSON(): AddressPoolState {
    const ipRange = this.ipRange === this.subnet ? {} : { ipRange: formatCidr(this.ipRange) };
    return {
      subnet: formatCidr(this.subnet),
      gateway: formatIp(this.gateway),
      ...ipRange,
      allocated: this.allocated(),
      next: formatIp(this.next),
    };
  }

  static fromJSON(state: AddressPoolState): AddressPool {
    const pool = new AddressPool(
      parseCidr(state.subnet, true),
      parseIp(state.gateway),
      state.ipRange ? parseCidr(state.ipRange, true) : undefined,
    );
    for (const ip of state.allocated) pool.used.add(parseIp(ip));
    if (state.next && contains(pool.subnet, parseIp(state.next))) pool.next = parseIp(state.next);
    return pool;
  }
}
