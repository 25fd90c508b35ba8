// What the host already uses, so that a new subnet never shadows a route or address of the host
// (or of another daemon's bridge on the same host).
import { type Cidr, isIpv4, parseCidr } from './ipv4';
import { runCommand as run } from '../util/command';

interface JsonRoute {
  dst?: string;
}
interface JsonAddr {
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
}

/** Pure: the IPv4 prefixes in `ip -j -4 route` and `ip -j -4 addr` output. */
export function parseUsedPrefixes(routesJson: string, addrsJson: string): Cidr[] {
  const used: Cidr[] = [];
  for (const r of JSON.parse(routesJson || '[]') as JsonRoute[]) {
    if (!r.dst || r.dst === 'default') continue;
    const ip = r.dst.split('/')[0] ?? '';
    if (isIpv4(ip)) used.push(parseCidr(r.dst));
  }
  for (const link of JSON.parse(addrsJson || '[]') as JsonAddr[]) {
    for (const a of link.addr_info ?? []) {
      if (a.local && isIpv4(a.local)) used.push(parseCidr(`${a.local}/${a.prefixlen ?? 32}`));
    }
  }
  return used;
}

export async function hostUsedPrefixes(opts: { signal?: AbortSignal } = {}): Promise<Cidr[]> {
  const [routes, addrs] = await Promise.all([
    run('ip', ['-j', '-4', 'route', 'show', 'table', 'all'], opts),
    run('ip', ['-j', '-4', 'addr', 'show'], opts),
  ]);
  // "table all" includes the local table (127/8, host addresses); those are fine to avoid too.
  return parseUsedPrefixes(routes, addrs);
}
