// What the embedded DNS does with one question: answer from the containers' names, from the
// added sources (swarm services), or forward it upstream. Pure: the indexes and sources come in.
import type { DnsSource } from '../types';
import type { NameIndex } from './name-index';
import { CLASS_IN, reverseAddress, TYPE } from './wire';

/** A network the asking container is on; the first is the one whose server got the query. */
export interface ResolveNetwork {
  id: string;
  name: string;
  /** An internal network has no way out: names it does not own are not forwarded. */
  internal?: boolean;
  index: NameIndex;
}

export type Resolution =
  | { kind: 'addresses'; addresses: string[] }
  /** The name is ours but has no record of the asked type (AAAA of a container): NOERROR, no answers. */
  | { kind: 'nodata' }
  | { kind: 'ptr'; target: string }
  | { kind: 'forward' };

export interface ResolveInput {
  name: string;
  type: number;
  class: number;
  networks: readonly ResolveNetwork[];
  sources: readonly DnsSource[];
  /** The host's search domains: `redis.example.com` is also tried as `redis` (see candidates). */
  searchDomains: readonly string[];
  /** Called when a source throws (the source is then skipped, as if it returned undefined). */
  onSourceError?: (e: unknown) => void;
}

interface Candidate {
  name: string;
  networks: readonly ResolveNetwork[];
}

/**
 * The names to try, best first: the name as asked; `<name>.<network>` on that network (docker
 * answers `web.mynet` too); and the name with one of the host's search domains cut off. The
 * last one matters for resolvers that try the search list before the bare name (containers get
 * `options ndots:0`, which makes glibc and musl ask for the bare name first, but not every stub
 * resolver honours it): `redis.example.com` then still finds the container `redis`. A container's
 * name shadows the same name under the search domain, just as it shadows a bare host name.
 */
export function candidates(
  name: string,
  networks: readonly ResolveNetwork[],
  searchDomains: readonly string[],
): Candidate[] {
  const out: Candidate[] = [{ name, networks }];
  for (const n of networks) {
    const suffix = `.${n.name.toLowerCase()}`;
    if (name.length > suffix.length && name.endsWith(suffix))
      out.push({ name: name.slice(0, -suffix.length), networks: [n] });
  }
  for (const d of searchDomains) {
    const suffix = `.${d.toLowerCase().replace(/\.$/, '')}`;
    if (suffix.length > 1 && name.length > suffix.length && name.endsWith(suffix))
      out.push({ name: name.slice(0, -suffix.length), networks });
  }
  return out;
}

function addressesOf(
  c: Candidate,
  sources: readonly DnsSource[],
  onError?: (e: unknown) => void,
): string[] | undefined {
  for (const n of c.networks) {
    const hit = n.index.lookup(c.name);
    if (hit.length > 0) return hit;
  }
  // Sources come after every container name, in the order they were added.
  for (const source of sources) {
    for (const n of c.networks) {
      let r: string[] | undefined;
      try {
        r = source({ networkId: n.id, networkName: n.name, name: c.name });
      } catch (e) {
        onError?.(e);
        continue;
      }
      if (r !== undefined) return r;
    }
  }
  return undefined;
}

export function resolve(q: ResolveInput): Resolution {
  if (q.class !== CLASS_IN || q.name === '') return { kind: 'forward' };
  if (q.type === TYPE.PTR) {
    const ip = reverseAddress(q.name);
    if (ip)
      for (const n of q.networks) {
        const c = n.index.container(ip);
        if (c) return { kind: 'ptr', target: `${c.name}.${n.name}` };
      }
    return { kind: 'forward' };
  }
  for (const c of candidates(q.name, q.networks, q.searchDomains)) {
    const addresses = addressesOf(c, q.sources, q.onSourceError);
    if (addresses === undefined) continue;
    if ((q.type === TYPE.A || q.type === TYPE.ANY) && addresses.length > 0) return { kind: 'addresses', addresses };
    // AAAA (no IPv6 on our networks) or any other type of a name we own: NOERROR and no answers,
    // so that a client asking A and AAAA uses the A answer instead of failing the name.
    return { kind: 'nodata' };
  }
  return { kind: 'forward' };
}
