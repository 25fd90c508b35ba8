// The bridge network driver of one daemon: networks, container sandboxes, NAT and published ports.
// Decisions (names, addresses, rules) come from the pure modules; this file orders the I/O.
import { mkdir, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ConflictError, EngineError, InvalidArgumentError, NotFoundError } from '../errors';
import { type Logger, silentLogger } from '../log';
import type { DataPaths } from '../paths';
import { EmbeddedDns, type EmbeddedDnsOptions } from './dns/embedded-dns';
import { withHostLock } from './host-lock';
import { hostUsedPrefixes } from './host-routes';
import { AddressPool, DEFAULT_IPAM_CONFIG, type IpamConfig, pickSubnet } from './ipam';
import { detectFlavor, Iptables, type NatNetwork } from './iptables';
import { type Cidr, formatCidr, formatIp, overlaps, parseCidr, parseIp } from './ipv4';
import { attachVeths, deleteLink, destroyNetns, ensureBridge, listLinks, listNetnsFiles } from './kernel';
import { NetnsHelper } from './netns-helper';
import { macFromIp, type NetworkNames, networkNames, newEndpointId, newNetworkId } from './names';
import { type Proxy, startTcpProxy, startUdpProxy } from './proxy';
import { type PooledSandbox, SandboxPool } from './sandbox-pool';
import { NetworkStore, type NetworksFile, type SandboxRecord } from './store';
import type {
  DnsSource,
  EndpointInfo,
  NetworkRecord,
  NetworkService,
  PortBindingRequest,
  PublishedPort,
  Sandbox,
} from './types';

export interface BridgeNetworkServiceOptions {
  paths: DataPaths;
  /** Address pools for networks created without --subnet (default 198.19.0.0/17 in /24s). */
  ipam?: IpamConfig;
  log?: Logger;
  /** Sandboxes on the default bridge prepared ahead of time (default 2; 0 turns the pool off). */
  sandboxPool?: number;
  /** The embedded DNS of user-defined networks (upstream nameservers, resolv.conf, port). */
  dns?: EmbeddedDnsOptions;
}

export interface NetworkInitOptions {
  /**
   * The containers that still exist after a restart. Sandboxes of others are destroyed; without
   * this list every recorded sandbox is kept (call `reconcile` once the runtime knows).
   */
  liveContainerIds?: Iterable<string>;
  /** Start the embedded DNS servers of user-defined networks (default true; purge does not). */
  startDns?: boolean;
  signal?: AbortSignal;
}

export type NetworkInspect = Awaited<ReturnType<NetworkService['inspect']>>;

interface Member {
  name: string;
  endpoint?: EndpointInfo;
}

interface NetState {
  record: NetworkRecord;
  pool?: AddressPool;
  members: Map<string, Member>;
}

const PREDEFINED = new Set(['bridge', 'host', 'none']);
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export class BridgeNetworkService implements NetworkService {
  readonly names: NetworkNames;
  private readonly store: NetworkStore;
  private readonly ipamConfig: IpamConfig;
  private readonly log: Logger;
  private readonly lockPath: string;
  private networks = new Map<string, NetState>();
  private nextBridge = 1;
  private readonly sandboxes = new Map<string, SandboxRecord>();
  private readonly proxies = new Map<string, Proxy[]>();
  /**
   * Host veths of destroyed sandboxes. Unmounting a namespace makes the kernel remove its veth pair
   * in its batched cleanup, far cheaper than `ip link del` (~25 ms each); `settle()` makes sure.
   */
  private readonly lingering = new Set<string>();
  /** Sandboxes being removed in the background, by container. */
  private readonly removals = new Map<string, Promise<void>>();
  private iptables?: Iptables;
  private readonly poolSize: number;
  private readonly helper = new NetnsHelper();
  /** The pool refills through its own shell so that a container's sandbox never queues behind it. */
  private readonly poolHelper = new NetnsHelper();
  private pool?: SandboxPool;
  private initialized = false;
  /** The embedded DNS of the user-defined networks (see dns/embedded-dns.ts). */
  private readonly dns: EmbeddedDns;
  /** Network create/remove and NAT rule writes run one at a time. */
  private serial: Promise<unknown> = Promise.resolve();

  constructor(opts: BridgeNetworkServiceOptions) {
    this.names = networkNames(opts.paths);
    this.store = new NetworkStore(opts.paths.networks);
    this.ipamConfig = opts.ipam ?? DEFAULT_IPAM_CONFIG;
    this.poolSize = opts.sandboxPool ?? 2;
    this.log = opts.log ?? silentLogger;
    this.dns = new EmbeddedDns(opts.dns ?? {}, this.log.child({ sub: 'dns' }));
    // <runDir>/network.lock: one lock for every daemon of the host (runcRoot is <runDir>/<instance>/runc)
    this.lockPath = join(dirname(dirname(opts.paths.runcRoot)), 'network.lock');
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.serial.then(fn, fn);
    this.serial = next.catch(() => undefined);
    return next;
  }

  addDnsSource(source: DnsSource): () => void {
    return this.dns.addSource(source);
  }

  setDnsUpstreams(containerId: string, servers: readonly string[] | null | undefined): void {
    this.dns.setContainerUpstreams(containerId, servers);
  }

  dnsNameserver(idOrName: string): string | undefined {
    return this.dns.nameserver(this.find(idOrName).record.Id);
  }

  /** Starts the embedded DNS of a user-defined bridge network; it never fails the network. */
  private async startDns(net: NetState): Promise<void> {
    const { record, pool } = net;
    if (PREDEFINED.has(record.Name) || !pool || !record.bridge) return;
    await this.dns.addNetwork({
      id: record.Id,
      name: record.Name,
      internal: record.Internal,
      subnet: pool.subnet,
      gateway: formatIp(pool.gateway),
    });
  }

  /** A container on a network: its inspect entry and, on user-defined networks, its names in the DNS. */
  private join(net: NetState, containerId: string, member: Member): void {
    net.members.set(containerId, member);
    const ep = member.endpoint;
    if (ep)
      this.dns.join(net.record.Id, { containerId, name: member.name, aliases: ep.aliases, ipAddress: ep.ipAddress });
  }

  private leave(net: NetState | undefined, containerId: string): void {
    if (!net) return;
    net.members.delete(containerId);
    this.dns.leave(net.record.Id, containerId);
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  async init(opts: NetworkInitOptions = {}): Promise<void> {
    await this.store.open();
    await mkdir(this.names.netnsDir, { recursive: true });
    await mkdir(dirname(this.lockPath), { recursive: true });
    this.iptables = new Iptables(await detectFlavor(), this.names);
    // Forwarding is off on a fresh host; containers need it for any traffic beyond the bridge.
    await writeFile('/proc/sys/net/ipv4/ip_forward', '1');

    const links = await listLinks('', opts);
    const bridges = new Set(links.filter((l) => l.name.startsWith(this.names.bridgePrefix)).map((l) => l.name));
    const file = await this.store.readNetworks();
    this.networks = new Map();
    this.nextBridge = file?.nextBridge ?? 1;
    const records = file?.networks ?? [];
    // What else on the host routes addresses: a bridge recreated on a subnet taken meanwhile (by
    // another daemon's network, say) would leave its containers unreachable.
    const hostUsed = records.some((r) => r.bridge && !bridges.has(r.bridge))
      ? await hostUsedPrefixes(opts).catch(() => [] as Cidr[])
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
      this.networks.set(record.Id, state);
      if (!record.bridge) continue;
      const exists = bridges.has(record.bridge);
      bridges.delete(record.bridge);
      if (
        !exists &&
        state.pool &&
        hostUsed.some((u) => overlaps(u, state.pool!.subnet)) &&
        (await this.moveTakenSubnet(state, records))
      ) {
        moved = true;
        continue;
      }
      await ensureBridge(record.bridge, `${cfg?.Gateway}/${state.pool?.prefixLen}`, { exists, signal: opts.signal });
    }
    if (moved) await this.persistNetworks();
    // Bridges of networks this daemon no longer knows (removed while it was down, or a lost state file).
    for (const b of bridges) await deleteLink(b);
    await this.ensurePredefined();
    if (opts.startDns !== false) for (const n of this.networks.values()) await this.startDns(n);

    await this.recoverSandboxes(
      links.map((l) => l.name).filter((n) => n.startsWith(this.names.vethPrefix)),
      opts.liveContainerIds,
    );
    await this.iptables.sync(this.natNetworks(), { ensureJumps: true });
    this.initialized = true;
    await this.restorePorts();
    this.pool = new SandboxPool(
      this.poolSize,
      () => this.makePooled(),
      (p) => this.dropPooled(p),
      this.log,
    );
    void this.pool.fill();
    this.log.info({ networks: this.networks.size, sandboxes: this.sandboxes.size }, 'networks ready');
  }

  /**
   * A network's subnet is routed elsewhere on the host now. The default bridge with no container
   * on it moves to a free subnet, its bridge made there (true: persist the change); any other
   * network keeps its subnet, with a warning that says what to do (false).
   */
  private async moveTakenSubnet(state: NetState, records: NetworkRecord[]): Promise<boolean> {
    const record = state.record;
    const was = formatCidr(state.pool!.subnet);
    const used = (await this.store.readSandboxes()).some(
      (sb) => sb.networkId === record.Id || (sb.attachments ?? []).some((a) => a.networkId === record.Id),
    );
    if (record.Name !== 'bridge' || used) {
      this.log.warn(
        { network: record.Name, subnet: was },
        "this network's subnet is routed elsewhere on this host now (another daemon's network?): its containers may be unreachable; remove the other interface, or recreate the network",
      );
      return false;
    }
    const own = records.filter((r) => r !== record).flatMap((r) => r.IPAM.Config.map((c) => parseCidr(c.Subnet, true)));
    state.pool = await this.claimFreeSubnet(record.bridge!, own);
    record.IPAM.Config = [{ Subnet: formatCidr(state.pool.subnet), Gateway: formatIp(state.pool.gateway) }];
    this.log.warn(
      { was, now: record.IPAM.Config[0]!.Subnet },
      "the default bridge network's subnet is routed elsewhere on this host now: moved it to a free one",
    );
    return true;
  }

  /** Picks a /24 nothing on the host routes and makes `bridge` its gateway, under the host lock (the bridge address makes the subnet visible to other daemons). */
  private claimFreeSubnet(bridge: string, own: Cidr[]): Promise<AddressPool> {
    return withHostLock(this.lockPath, async () => {
      const pool = new AddressPool(pickSubnet(this.ipamConfig, [...(await hostUsedPrefixes()), ...own]));
      await ensureBridge(bridge, `${formatIp(pool.gateway)}/${pool.subnet.prefix}`, { exists: false });
      return pool;
    });
  }

  private async ensurePredefined(): Promise<void> {
    const have = new Set([...this.networks.values()].map((n) => n.record.Name));
    let changed = false;
    for (const name of ['bridge', 'host', 'none'] as const) {
      if (have.has(name)) continue;
      changed = true;
      if (name === 'bridge') {
        await this.addBridgeNetwork({ name, driver: 'bridge', bridge: this.names.bridge(0), predefined: true });
      } else {
        const record = this.baseRecord(name, name === 'host' ? 'host' : 'null', 'local');
        this.networks.set(record.Id, { record, members: new Map() });
      }
    }
    if (changed) await this.persistNetworks();
  }

  private async recoverSandboxes(hostVeths: string[], live?: Iterable<string>): Promise<void> {
    const keep = live ? new Set(live) : undefined;
    const netnsFiles = new Set(await listNetnsFiles(this.names.netnsDir));
    for (const rec of await this.store.readSandboxes()) {
      const net = this.networks.get(rec.networkId);
      const kernelOk = rec.netnsPath === null || netnsFiles.has(rec.netnsPath);
      // Two records claiming one address cannot both be right: the later one is dropped.
      const addressesFree = rec.endpoints.every((ep) => {
        const pool = this.networks.get(ep.networkId)?.pool;
        return pool !== undefined && !pool.isAllocated(ep.ipAddress);
      });
      const networksKnown = rec.endpoints.every((ep) => this.networks.has(ep.networkId));
      if (net && networksKnown && kernelOk && addressesFree && (!keep || keep.has(rec.containerId))) {
        this.sandboxes.set(rec.containerId, rec);
        if (rec.endpoints.length === 0) this.join(net, rec.containerId, { name: rec.containerName });
        for (const ep of rec.endpoints) {
          const n = this.networks.get(ep.networkId) as NetState;
          n.pool?.allocate(ep.ipAddress);
          this.join(n, rec.containerId, { name: rec.containerName, endpoint: ep });
        }
        if (rec.netnsPath) netnsFiles.delete(rec.netnsPath);
        continue;
      }
      this.log.info({ containerId: rec.containerId }, 'removing the network sandbox of a container that is gone');
      if (rec.netnsPath) {
        await destroyNetns(rec.netnsPath, rec.hostVeth);
        for (const a of rec.attachments ?? []) await deleteLink(a.hostVeth);
        netnsFiles.delete(rec.netnsPath);
      }
      await this.store.removeSandbox(rec.containerId);
    }
    // Kernel objects with no record: a crash between creating them and writing the record.
    for (const path of netnsFiles) await destroyNetns(path, null);
    // A bridge that had to be made again (deleted while the daemon was down) lost its ports.
    const ports = [...this.sandboxes.values()].flatMap((s) => this.vethsOf(s));
    const keptVeths = new Set(ports.map((p) => p.veth));
    for (const v of hostVeths) if (!keptVeths.has(v)) await deleteLink(v);
    await attachVeths(ports);
  }

  private async restorePorts(): Promise<void> {
    for (const rec of this.sandboxes.values()) {
      const ip = rec.endpoints[0]?.ipAddress;
      if (!ip || rec.ports.length === 0) continue;
      try {
        await this.publish(rec.containerId, ip, rec.ports);
      } catch (e) {
        this.log.warn(
          { containerId: rec.containerId, err: (e as Error).message },
          'could not publish the ports of a recovered container again',
        );
      }
    }
  }

  /** Destroys the sandboxes of containers not in `liveContainerIds`; returns their ids. */
  async reconcile(liveContainerIds: Iterable<string>): Promise<string[]> {
    const live = new Set(liveContainerIds);
    const gone = [...this.sandboxes.keys()].filter((id) => !live.has(id));
    for (const id of gone) await this.destroySandbox(id);
    return gone;
  }

  async close(): Promise<void> {
    await this.quiesce();
    this.helper.close();
    this.poolHelper.close();
  }

  /** Stops what serves or works in the background (port proxies, the pool, DNS); the helpers stay. */
  private async quiesce(): Promise<void> {
    const all = [...this.proxies.values()].flat();
    this.proxies.clear();
    await Promise.all([this.pool?.close(), this.dns.close(), ...all.map((p) => p.close())]);
    await this.serial;
    await this.settle();
  }

  /** Finishes background removals and deletes what the kernel has not yet cleaned up (veths). */
  async settle(): Promise<void> {
    await Promise.all([...this.removals.values()]);
    const names = [...this.lingering];
    this.lingering.clear();
    if (names.length === 0) return;
    const present = new Set((await listLinks(this.names.vethPrefix)).map((l) => l.name));
    await Promise.all(names.filter((n) => present.has(n)).map((n) => deleteLink(n)));
  }

  /**
   * Removes every kernel object of this daemon (sandboxes, bridges, NAT chains) and the sandbox
   * records, keeping the network definitions: for tests and for uninstalling a daemon.
   */
  async teardown(): Promise<void> {
    await this.quiesce();
    // The sandboxes' namespaces go through the helper: before it is closed.
    for (const id of [...this.sandboxes.keys()]) await this.destroySandbox(id);
    await this.settle();
    this.poolHelper.close();
    for (const n of this.networks.values()) if (n.record.bridge) await deleteLink(n.record.bridge);
    await (this.iptables ?? new Iptables(await detectFlavor(), this.names)).remove();
    this.helper.close();
    await rmdir(this.names.netnsDir).catch(() => undefined);
    // The instance's run directory too, when nothing else (runc's state) is left in it.
    await rmdir(dirname(this.names.netnsDir)).catch(() => undefined);
    this.initialized = false;
  }

  // ---- networks --------------------------------------------------------------------------------

  private baseRecord(name: string, driver: NetworkRecord['Driver'], scope: NetworkRecord['Scope']): NetworkRecord {
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

  private async addBridgeNetwork(o: {
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
  }): Promise<NetworkRecord> {
    const record = this.baseRecord(o.name, o.driver, o.driver === 'overlay' ? 'swarm' : 'local');
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
    const own = [...this.networks.values()].flatMap((n) => (n.pool ? [n.pool.subnet] : []));
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
    this.networks.set(record.Id, { record, pool, members: new Map() });
    return record;
  }

  private persistNetworks(): Promise<void> {
    const file: NetworksFile = {
      version: 1,
      nextBridge: this.nextBridge,
      networks: [...this.networks.values()].map((n) => n.record),
    };
    return this.store.writeNetworks(file);
  }

  private natNetworks(): NatNetwork[] {
    return [...this.networks.values()].flatMap((n) =>
      n.record.bridge && n.pool
        ? [{ bridge: n.record.bridge, subnet: formatCidr(n.pool.subnet), internal: n.record.Internal }]
        : [],
    );
  }

  private ready(): void {
    if (!this.initialized) throw new EngineError('the network service is not initialized: call init() first');
  }

  /** By exact ID, exact name, or unique ID prefix, like docker. */
  private find(idOrName: string): NetState {
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

  create(opts: Parameters<NetworkService['create']>[0]): Promise<NetworkRecord> {
    return this.exclusive(async () => {
      this.ready();
      const driver = opts.driver || 'bridge';
      if (!NAME_RE.test(opts.name))
        throw new InvalidArgumentError(
          `invalid network name "${opts.name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
        );
      if ([...this.networks.values()].some((n) => n.record.Name === opts.name))
        throw new ConflictError(`network with name ${opts.name} already exists`);
      if (driver === 'host' || driver === 'null')
        throw new EngineError(`only one instance of "${driver}" network is allowed`, 403);
      if (driver !== 'bridge' && driver !== 'overlay')
        throw new NotFoundError(`plugin "${driver}" not found: use the bridge driver`);
      const n = this.nextBridge++;
      const record = await this.addBridgeNetwork({ ...opts, driver, bridge: this.names.bridge(n) });
      await this.persistNetworks();
      await this.iptables?.sync(this.natNetworks());
      await this.startDns(this.find(record.Id));
      this.log.info(
        {
          network: record.Name,
          subnet: record.IPAM.Config[0]?.Subnet,
          bridge: record.bridge,
          dns: this.dns.nameserver(record.Id) ?? null,
        },
        'network created',
      );
      return structuredClone(record);
    });
  }

  async list(): Promise<NetworkRecord[]> {
    this.ready();
    return [...this.networks.values()].map((n) => structuredClone(n.record));
  }

  async inspect(idOrName: string): Promise<NetworkInspect> {
    this.ready();
    const n = this.find(idOrName);
    const Containers: NetworkInspect['Containers'] = {};
    for (const [id, m] of n.members) {
      Containers[id] = {
        Name: m.name,
        EndpointID: m.endpoint?.endpointId ?? '',
        MacAddress: m.endpoint?.macAddress ?? '',
        IPv4Address: m.endpoint ? `${m.endpoint.ipAddress}/${m.endpoint.prefixLen}` : '',
      };
    }
    return { ...structuredClone(n.record), Containers };
  }

  remove(idOrName: string): Promise<void> {
    return this.exclusive(async () => {
      this.ready();
      const n = this.find(idOrName);
      const { Name, Id } = n.record;
      if (PREDEFINED.has(Name)) throw new EngineError(`${Name} is a pre-defined network and cannot be removed`, 403);
      if (n.members.size > 0)
        throw new ConflictError(`error while removing network: network ${Name} id ${Id} has active endpoints`);
      this.networks.delete(Id);
      await this.dns.removeNetwork(Id);
      await this.persistNetworks();
      if (n.record.bridge) await deleteLink(n.record.bridge);
      await this.iptables?.sync(this.natNetworks());
      this.log.info({ network: Name }, 'network removed');
    });
  }

  // ---- sandboxes -------------------------------------------------------------------------------

  sandbox(containerId: string): Sandbox | undefined {
    const rec = this.sandboxes.get(containerId);
    return rec && { containerId, netnsPath: rec.netnsPath, endpoints: structuredClone(rec.endpoints) };
  }

  /** Idempotent: a container that already has a sandbox gets the same one back. */
  async createSandbox(
    containerId: string,
    containerName: string,
    networkMode: string,
    opts: { aliases?: string[]; ip?: string } = {},
  ): Promise<Sandbox> {
    this.ready();
    await this.removals.get(containerId);
    const existing = this.sandbox(containerId);
    if (existing) return existing;
    if (!/^[0-9a-f]{12,64}$/.test(containerId)) throw new InvalidArgumentError(`invalid container id ${containerId}`);
    const mode = networkMode === '' || networkMode === 'default' ? 'bridge' : networkMode;
    if (mode.startsWith('container:'))
      throw new InvalidArgumentError(`network mode ${mode} is not supported: use a network name, host or none`);
    const net = this.find(mode);
    const name = containerName.replace(/^\//, '');
    const rec: SandboxRecord = {
      containerId,
      containerName: name,
      networkId: net.record.Id,
      netnsPath: null,
      hostVeth: null,
      endpoints: [],
      ports: [],
    };
    const pooled = net.record.Name === 'bridge' && !opts.ip ? this.pool?.take() : undefined;
    if (pooled && net.pool) {
      rec.netnsPath = pooled.netnsPath;
      rec.hostVeth = pooled.hostVeth;
      const endpoint = this.endpoint(net, pooled.ipAddress, opts.aliases);
      rec.endpoints.push(endpoint);
      this.join(net, containerId, { name, endpoint });
    } else if (net.record.Driver === 'host') {
      this.join(net, containerId, { name });
    } else {
      rec.netnsPath = this.names.netnsPath(containerId);
      if (net.pool && net.record.bridge) {
        const endpoint = this.endpoint(net, net.pool.allocate(opts.ip), opts.aliases);
        rec.hostVeth = this.names.hostVeth();
        rec.endpoints.push(endpoint);
        this.join(net, containerId, { name, endpoint });
      } else {
        this.join(net, containerId, { name });
      }
      this.sandboxes.set(containerId, rec);
      try {
        const ep = rec.endpoints[0];
        const veth =
          ep && rec.hostVeth && net.record.bridge
            ? {
                hostVeth: rec.hostVeth,
                bridge: net.record.bridge,
                ipCidr: `${ep.ipAddress}/${ep.prefixLen}`,
                gateway: ep.gateway,
                mac: ep.macAddress,
              }
            : null;
        await this.helper.createNetns(rec.netnsPath, veth);
      } catch (e) {
        this.forget(rec);
        throw e;
      }
    }
    this.sandboxes.set(containerId, rec);
    await this.store.writeSandbox(rec);
    return { containerId, netnsPath: rec.netnsPath, endpoints: structuredClone(rec.endpoints) };
  }

  private endpoint(net: NetState, ip: string, aliases: string[] = []): EndpointInfo {
    const pool = net.pool as AddressPool;
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

  private async makePooled(): Promise<PooledSandbox> {
    const net = this.find('bridge');
    const pool = net.pool as AddressPool;
    const ipAddress = pool.allocate();
    const s: PooledSandbox = { netnsPath: this.names.pooledNetnsPath(), hostVeth: this.names.hostVeth(), ipAddress };
    try {
      await this.poolHelper.createNetns(s.netnsPath, {
        hostVeth: s.hostVeth,
        bridge: net.record.bridge as string,
        ipCidr: `${ipAddress}/${pool.prefixLen}`,
        gateway: formatIp(pool.gateway),
        mac: macFromIp(ipAddress),
      });
    } catch (e) {
      pool.release(ipAddress);
      throw e;
    }
    return s;
  }

  private async dropPooled(s: PooledSandbox): Promise<void> {
    await this.poolHelper.removeNetns(s.netnsPath);
    this.lingering.add(s.hostVeth);
    this.find('bridge').pool?.release(s.ipAddress);
  }

  /** Every host veth of a sandbox with its bridge: the first network's and those of `connect`. */
  private vethsOf(rec: SandboxRecord): { veth: string; bridge: string }[] {
    const all = rec.hostVeth ? [{ networkId: rec.networkId, hostVeth: rec.hostVeth }] : [];
    return [...all, ...(rec.attachments ?? [])].flatMap((a) => {
      const bridge = this.networks.get(a.networkId)?.record.bridge;
      return bridge ? [{ veth: a.hostVeth, bridge }] : [];
    });
  }

  private forget(rec: SandboxRecord): void {
    this.sandboxes.delete(rec.containerId);
    this.leave(this.networks.get(rec.networkId), rec.containerId);
    for (const ep of rec.endpoints) {
      const net = this.networks.get(ep.networkId);
      this.leave(net, rec.containerId);
      net?.pool?.release(ep.ipAddress);
    }
  }

  /**
   * Idempotent: an unknown container has nothing to destroy. The veth pair goes with the
   * namespace; its address is handed out again only after the rest of the subnet (round robin).
   * With `background`, returns once the container is off its network (ports closed, endpoint
   * gone) and unmounts the namespace after: `settle()` waits for that, and so does a new sandbox
   * for the same container.
   */
  async destroySandbox(containerId: string, opts: { background?: boolean } = {}): Promise<void> {
    const rec = this.sandboxes.get(containerId);
    if (!rec) return this.removals.get(containerId);
    await this.closeProxies(containerId);
    this.forget(rec);
    const removal = (async () => {
      if (rec.netnsPath) await this.helper.removeNetns(rec.netnsPath);
      if (rec.hostVeth) this.lingering.add(rec.hostVeth);
      for (const a of rec.attachments ?? []) this.lingering.add(a.hostVeth);
      if (this.lingering.size >= 32) {
        this.settle().catch((e: unknown) =>
          this.log.warn({ err: (e as Error).message }, 'could not delete the veths of destroyed sandboxes'),
        );
      }
      await this.store.removeSandbox(containerId);
    })();
    if (!opts.background) return removal;
    const tracked = removal
      .catch((e: unknown) =>
        this.log.warn(
          { containerId, err: (e as Error).message },
          'could not remove a network sandbox (the next start cleans it)',
        ),
      )
      .finally(() => this.removals.delete(containerId));
    this.removals.set(containerId, tracked);
  }

  /** docker network connect: one more interface (eth1, ...) on another bridge network. */
  async connect(
    idOrName: string,
    containerId: string,
    opts: { aliases?: string[]; ip?: string } = {},
  ): Promise<EndpointInfo> {
    this.ready();
    const net = this.find(idOrName);
    const rec = this.sandboxes.get(containerId);
    if (!rec) throw new NotFoundError(`container ${containerId} has no network sandbox: start it first`);
    if (rec.netnsPath === null || net.record.Driver === 'host')
      throw new InvalidArgumentError('container cannot be disconnected from host network or connected to host network');
    if (rec.endpoints.length === 0 || !net.pool || !net.record.bridge) {
      throw new InvalidArgumentError(
        'container cannot be connected to multiple networks with one of the networks in private (none) mode',
      );
    }
    if (net.members.has(containerId))
      throw new EngineError(
        `endpoint with name ${rec.containerName} already exists in network ${net.record.Name}`,
        403,
      );
    const used = new Set(['eth0', ...(rec.attachments ?? []).map((a) => a.ifname)]);
    let n = 1;
    while (used.has(`eth${n}`)) n++;
    const ifname = `eth${n}`;
    const endpoint = this.endpoint(net, net.pool.allocate(opts.ip), opts.aliases);
    const hostVeth = this.names.hostVeth();
    this.join(net, containerId, { name: rec.containerName, endpoint });
    try {
      await this.helper.attach(
        rec.netnsPath,
        {
          hostVeth,
          bridge: net.record.bridge,
          ipCidr: `${endpoint.ipAddress}/${endpoint.prefixLen}`,
          mac: endpoint.macAddress,
        },
        ifname,
      );
    } catch (e) {
      this.leave(net, containerId);
      net.pool.release(endpoint.ipAddress);
      throw e;
    }
    rec.endpoints.push(endpoint);
    rec.attachments = [...(rec.attachments ?? []), { networkId: net.record.Id, hostVeth, ifname }];
    await this.store.writeSandbox(rec);
    return structuredClone(endpoint);
  }

  /** docker network disconnect, for networks joined with `connect`. */
  async disconnect(idOrName: string, containerId: string): Promise<void> {
    this.ready();
    const net = this.find(idOrName);
    const rec = this.sandboxes.get(containerId);
    if (!rec || !net.members.has(containerId))
      throw new EngineError(`container ${containerId} is not connected to network ${net.record.Name}`, 403);
    const attachment = (rec.attachments ?? []).find((a) => a.networkId === net.record.Id);
    if (!attachment)
      throw new InvalidArgumentError(
        `container ${rec.containerName} cannot leave ${net.record.Name}, the network it was started on: stop it instead`,
      );
    await this.helper.detach(attachment.hostVeth);
    rec.attachments = (rec.attachments ?? []).filter((a) => a !== attachment);
    const ep = rec.endpoints.find((e) => e.networkId === net.record.Id);
    rec.endpoints = rec.endpoints.filter((e) => e !== ep);
    this.leave(net, containerId);
    if (ep) net.pool?.release(ep.ipAddress);
    await this.store.writeSandbox(rec);
  }

  // ---- published ports -------------------------------------------------------------------------

  async publish(containerId: string, containerIp: string, ports: PortBindingRequest[]): Promise<PublishedPort[]> {
    this.ready();
    const rec = this.sandboxes.get(containerId);
    if (!rec)
      throw new NotFoundError(`container ${containerId} has no network sandbox: create it before publishing ports`);
    // docker: "Published ports are discarded when using host network mode"; none has no address.
    if (rec.netnsPath === null || rec.endpoints.length === 0) return [];
    const started: Proxy[] = [];
    const published: PublishedPort[] = [];
    try {
      for (const p of ports) {
        if (p.proto !== 'tcp' && p.proto !== 'udp')
          throw new InvalidArgumentError(`invalid protocol ${String(p.proto)}: use tcp or udp`);
        if (!Number.isInteger(p.containerPort) || p.containerPort < 1 || p.containerPort > 65535)
          throw new InvalidArgumentError(`invalid container port ${p.containerPort}`);
        if (!Number.isInteger(p.hostPort) || p.hostPort < 0 || p.hostPort > 65535)
          throw new InvalidArgumentError(`invalid host port ${p.hostPort}`);
        const hostIp = p.hostIp === '0.0.0.0' ? '' : p.hostIp;
        const target = { host: containerIp, port: p.containerPort };
        const proxy =
          p.proto === 'tcp'
            ? await startTcpProxy(hostIp, p.hostPort, target, this.log)
            : await startUdpProxy(hostIp, p.hostPort, target, this.log);
        started.push(proxy);
        published.push({ ...p, hostIp: p.hostIp, hostPort: proxy.hostPort });
      }
    } catch (e) {
      await Promise.all(started.map((s) => s.close()));
      throw e;
    }
    this.proxies.set(containerId, [...(this.proxies.get(containerId) ?? []), ...started]);
    rec.ports = [
      ...rec.ports.filter(
        (old) =>
          !published.some(
            (p) => p.proto === old.proto && p.containerPort === old.containerPort && p.hostPort === old.hostPort,
          ),
      ),
      ...published,
    ];
    await this.store.writeSandbox(rec);
    return published;
  }

  /** The ports currently published for a container (docker port). */
  published(containerId: string): PublishedPort[] {
    return structuredClone(this.sandboxes.get(containerId)?.ports ?? []);
  }

  private async closeProxies(containerId: string): Promise<void> {
    const list = this.proxies.get(containerId) ?? [];
    this.proxies.delete(containerId);
    await Promise.all(list.map((p) => p.close()));
  }

  async unpublish(containerId: string): Promise<void> {
    await this.closeProxies(containerId);
    const rec = this.sandboxes.get(containerId);
    if (rec && rec.ports.length > 0) {
      rec.ports = [];
      await this.store.writeSandbox(rec);
    }
  }
}
