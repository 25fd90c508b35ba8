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
  if (subnet.prefix > 30) throw new InvalidArgumentError(`subnet ${formatCidr(subnet)} is too small for a gateway and containers`);
  return (subnet.base + 1) >>> 0;
}

export interface AddressPoolState {
  subnet: string;
  gateway: string;
  allocated: string[];
  /** Where the next search starts: addresses are handed out round-robin so a released one is not reused at once (stale ARP entries). */
  next: string;
}

/** The addresses of one subnet: network, broadcast and gateway are never handed out. */
export class AddressPool {
  readonly subnet: Cidr;
  readonly gateway: number;
  private readonly used = new Set<number>();
  private next: number;

  constructor(subnet: Cidr, gateway?: number) {
    this.subnet = subnet;
    this.gateway = gateway ?? defaultGateway(subnet);
    if (!contains(subnet, this.gateway)) throw new InvalidArgumentError(`gateway ${formatIp(this.gateway)} is not in subnet ${formatCidr(subnet)}`);
    this.next = (subnet.base + 1) >>> 0;
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
      if (this.used.has(ip)) throw new ConflictError(`Address already in use: ${wanted} is taken on ${formatCidr(this.subnet)}`);
      this.used.add(ip);
      return wanted;
    }
    const n = size(this.subnet);
    for (let i = 0; i < n; i++) {
      const ip = (this.subnet.base + ((this.next - this.subnet.base + i) % n)) >>> 0;
      if (this.reserved(ip) || this.used.has(ip)) continue;
      this.used.add(ip);
      this.next = (this.subnet.base + ((ip - this.subnet.base + 1) % n)) >>> 0;
      return formatIp(ip);
    }
    throw new ConflictError(`no available IPv4 addresses on this network's address pool ${formatCidr(this.subnet)}: remove unused containers or use a larger subnet`);
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
    return { subnet: formatCidr(this.subnet), gateway: formatIp(this.gateway), allocated: this.allocated(), next: formatIp(this.next) };
  }

  static fromJSON(state: AddressPoolState): AddressPool {
    const pool = new AddressPool(parseCidr(state.subnet, true), parseIp(state.gateway));
    for (const ip of state.allocated) pool.used.add(parseIp(ip));
    if (state.next && contains(pool.subnet, parseIp(state.next))) pool.next = parseIp(state.next);
    return pool;
  }
}
