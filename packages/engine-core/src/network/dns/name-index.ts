// The names of one network's containers for its embedded DNS: name -> addresses and address ->
// container, kept up to date as endpoints join and leave, so that a query is two map lookups.
// Pure.

export interface IndexedEndpoint {
  containerId: string;
  /** The container's name (without the leading slash). */
  name: string;
  aliases: readonly string[];
  ipAddress: string;
}

/** The names an endpoint answers to, as docker: its name, its aliases and the short container ID. */
export function endpointNames(ep: IndexedEndpoint): string[] {
  const all = [ep.name, ...ep.aliases, ep.containerId.slice(0, 12)].map(normalizeName).filter((n) => n !== '');
  return [...new Set(all)];
}

/** Lowercased (DNS names compare case-insensitively) and without the trailing dot. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

export class NameIndex {
  /** name -> (containerId -> address): several containers may share an alias. */
  private readonly byName = new Map<string, Map<string, string>>();
  private readonly byContainer = new Map<string, { names: string[]; ipAddress: string; name: string }>();
  private readonly byAddress = new Map<string, string>();

  /** Adds (or replaces) a container's endpoint on this network. */
  add(ep: IndexedEndpoint): void {
    this.remove(ep.containerId);
    const names = endpointNames(ep);
    for (const n of names) {
      let m = this.byName.get(n);
      if (!m) this.byName.set(n, (m = new Map()));
      m.set(ep.containerId, ep.ipAddress);
    }
    this.byContainer.set(ep.containerId, { names, ipAddress: ep.ipAddress, name: ep.name });
    this.byAddress.set(ep.ipAddress, ep.containerId);
  }

  remove(containerId: string): void {
    const e = this.byContainer.get(containerId);
    if (!e) return;
    this.byContainer.delete(containerId);
    for (const n of e.names) {
      const m = this.byName.get(n);
      m?.delete(containerId);
      if (m?.size === 0) this.byName.delete(n);
    }
    if (this.byAddress.get(e.ipAddress) === containerId) this.byAddress.delete(e.ipAddress);
  }

  /** The addresses of `name` (already normalized), in the order their containers joined. */
  lookup(name: string): string[] {
    const m = this.byName.get(name);
    return m ? [...m.values()] : [];
  }

  /** The container that has `ip` on this network, with its name (PTR answers, the client of a query). */
  container(ip: string): { containerId: string; name: string } | undefined {
    const id = this.byAddress.get(ip);
    const e = id === undefined ? undefined : this.byContainer.get(id);
    return id !== undefined && e ? { containerId: id, name: e.name } : undefined;
  }

  get size(): number {
    return this.byContainer.size;
  }
}
