// The embedded DNS of a daemon's user-defined networks: one server per network on its gateway,
// the name index of each network, and which networks each container is on (a container sees the
// names of all its networks, like docker's). The network service tells it what joins and leaves.
import { networkInterfaces } from 'node:os';
import type { Logger } from '../../log';
import { type Cidr, contains, parseIp } from '../ipv4';
import type { DnsSource } from '../types';
import { type IndexedEndpoint, NameIndex } from './name-index';
import { DnsResponder } from './responder';
import type { ResolveNetwork } from './resolve';
import { parseUpstream, ResolvConfReader, type Upstream } from './resolv-conf';
import { type DnsServer, startDnsServer } from './server';

export interface EmbeddedDnsOptions {
  /** Nameservers for names the server does not own ("1.2.3.4" or "1.2.3.4:5353"); default: the host's resolv.conf. */
  upstreams?: string[];
  /** The host's resolver configuration (nameservers and search domains); default /etc/resolv.conf. */
  resolvConfPath?: string;
  /** Default 53: containers' resolv.conf cannot name another port. */
  port?: number;
  /** Per upstream nameserver (default 1500 ms). */
  forwardTimeoutMs?: number;
}

export interface DnsNetwork {
  id: string;
  name: string;
  internal: boolean;
  subnet: Cidr;
  gateway: string;
}

interface NetDns extends DnsNetwork {
  index: NameIndex;
  server?: DnsServer;
}

export class EmbeddedDns {
  private readonly nets = new Map<string, NetDns>();
  /** containerId -> the ids of its user-defined networks, in the order it joined them. */
  private readonly memberships = new Map<string, string[]>();
  private readonly sources: DnsSource[] = [];
  /** containerId -> its own nameservers (`--dns`): its unknown names go there instead of the host's. */
  private readonly containerUpstreams = new Map<string, Upstream[]>();
  private readonly reader: ResolvConfReader;
  private readonly fixedUpstreams?: Upstream[];
  private hostAddrs = { at: -Infinity, set: new Set<string>() };

  constructor(
    private readonly opts: EmbeddedDnsOptions,
    private readonly log: Logger,
  ) {
    this.reader = new ResolvConfReader(opts.resolvConfPath ?? '/etc/resolv.conf');
    this.fixedUpstreams = opts.upstreams?.flatMap((s) => {
      const u = parseUpstream(s);
      if (!u) log.warn({ upstream: s }, 'ignoring an upstream nameserver that is not an address');
      return u ? [u] : [];
    });
  }

  addSource(source: DnsSource): () => void {
    this.sources.push(source);
    return () => {
      const i = this.sources.indexOf(source);
      if (i >= 0) this.sources.splice(i, 1);
    };
  }

  /**
   * Starts the network's server. Never throws: when the gateway's port 53 is taken the network
   * works without it, and its containers get the host's resolv.conf (see nameserver()).
   */
  async addNetwork(n: DnsNetwork): Promise<void> {
    // Added again (a second init): the old sockets go first, or they would hold the port.
    await this.removeNetwork(n.id);
    const net: NetDns = { ...n, index: new NameIndex() };
    this.nets.set(n.id, net);
    const responder = new DnsResponder({
      clientNetworks: (ip) => this.clientNetworks(net, ip),
      sources: () => this.sources,
      searchDomains: () => this.reader.read().search,
      upstreams: (nets, ip) =>
        nets.every((x) => x.internal)
          ? []
          : (this.upstreamsOf(net, ip) ?? this.fixedUpstreams ?? this.reader.read().nameservers),
      forward: { timeoutMs: this.opts.forwardTimeoutMs },
      log: this.log,
    });
    try {
      net.server = await startDnsServer(n.gateway, this.opts.port ?? 53, responder, this.log);
    } catch (e) {
      this.log.warn(
        { network: n.name, err: (e as Error).message },
        "embedded DNS not started: this network's containers get the host's resolv.conf",
      );
    }
    // Removed while the sockets were being bound.
    if (this.nets.get(n.id) !== net) await net.server?.close();
  }

  async removeNetwork(id: string): Promise<void> {
    const net = this.nets.get(id);
    if (!net) return;
    this.nets.delete(id);
    await net.server?.close();
  }

  /** The address containers of this network use as their nameserver, while its server runs. */
  nameserver(networkId: string): string | undefined {
    const net = this.nets.get(networkId);
    return net?.server ? net.gateway : undefined;
  }

  /**
   * A container's `--dns` servers (docker: the container keeps the embedded DNS as its nameserver,
   * which forwards the names it does not own there). Empty or null: the host's nameservers again.
   */
  setContainerUpstreams(containerId: string, servers: readonly string[] | null | undefined): void {
    const parsed = (servers ?? []).flatMap((s) => {
      const u = parseUpstream(s);
      if (!u)
        this.log.warn(
          { container: containerId.slice(0, 12), dns: s },
          'ignoring a --dns server that is not an address',
        );
      return u ? [u] : [];
    });
    if (parsed.length) this.containerUpstreams.set(containerId, parsed);
    else this.containerUpstreams.delete(containerId);
  }

  private upstreamsOf(net: NetDns, ip: string): Upstream[] | undefined {
    const client = net.index.container(ip);
    return client ? this.containerUpstreams.get(client.containerId) : undefined;
  }

  join(networkId: string, ep: IndexedEndpoint): void {
    const net = this.nets.get(networkId);
    if (!net) return;
    net.index.add(ep);
    const ids = (this.memberships.get(ep.containerId) ?? []).filter((i) => i !== networkId);
    this.memberships.set(ep.containerId, [...ids, networkId]);
  }

  leave(networkId: string, containerId: string): void {
    this.nets.get(networkId)?.index.remove(containerId);
    const ids = (this.memberships.get(containerId) ?? []).filter((i) => i !== networkId);
    if (ids.length) this.memberships.set(containerId, ids);
    else {
      this.memberships.delete(containerId);
      this.containerUpstreams.delete(containerId);
    }
  }

  /** Only the network's addresses and the host ask its server: a container of another network is refused. */
  private clientNetworks(net: NetDns, ip: string): ResolveNetwork[] | undefined {
    let n: number;
    try {
      n = parseIp(ip);
    } catch {
      return undefined;
    }
    const own = { id: net.id, name: net.name, internal: net.internal, index: net.index };
    if (!contains(net.subnet, n)) {
      // The host itself sees the network's names. Its query to the gateway goes through lo, where
      // NAT rules may rewrite the source to another of the host's addresses.
      return n >>> 24 === 127 || this.hostAddresses().has(ip) ? [own] : undefined;
    }
    const client = net.index.container(ip);
    if (!client) return [own];
    const others = (this.memberships.get(client.containerId) ?? []).flatMap((id) => {
      const o = id === net.id ? undefined : this.nets.get(id);
      return o ? [{ id: o.id, name: o.name, internal: o.internal, index: o.index }] : [];
    });
    return [own, ...others];
  }

  /** The host's own IPv4 addresses, looked up again at most every 5 s. */
  private hostAddresses(): Set<string> {
    const now = Date.now();
    if (now - this.hostAddrs.at > 5000) {
      const all = Object.values(networkInterfaces()).flatMap((l) =>
        (l ?? []).filter((a) => a.family === 'IPv4').map((a) => a.address),
      );
      this.hostAddrs = { at: now, set: new Set(all) };
    }
    return this.hostAddrs.set;
  }

  async close(): Promise<void> {
    const all = [...this.nets.values()];
    this.nets.clear();
    await Promise.all(all.map((n) => n.server?.close()));
  }
}
