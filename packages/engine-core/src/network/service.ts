// The bridge network driver of one daemon: networks, container sandboxes, NAT and published ports.
// Decisions (names, addresses, rules) come from the pure modules; this file orders the I/O, and
// hands sandboxes, published ports and recovery to the collaborators beside it.
import { mkdir, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ConflictError, EngineError, InvalidArgumentError, NotFoundError } from '../errors';
import { type Logger, silentLogger } from '../log';
import type { DataPaths } from '../paths';
import { BridgeNetworkFactory, baseRecord } from './bridge-network';
import { EmbeddedDns, type EmbeddedDnsOptions } from './dns/embedded-dns';
import { DEFAULT_IPAM_CONFIG, type IpamConfig } from './ipam';
import { detectFlavor, Iptables } from './iptables';
import { formatIp } from './ipv4';
import { deleteLink, listLinks } from './kernel';
import { type NetworkNames, networkNames } from './names';
import { NetworkRecovery } from './network-recovery';
import { type NetState, NetworkTable, PREDEFINED } from './network-table';
import { PublishedPorts } from './published-ports';
import { Sandboxes } from './sandboxes';
import { NetworkStore } from './store';
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

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** How long removing a swarm network waits for the endpoints of stopping tasks to leave. */
const SWARM_ENDPOINTS_WAIT_MS = 15_000;

export class BridgeNetworkService implements NetworkService {
  readonly names: NetworkNames;
  private readonly store: NetworkStore;
  private readonly log: Logger;
  private readonly lockPath: string;
  private readonly networks: NetworkTable;
  private readonly factory: BridgeNetworkFactory;
  private readonly sandboxes: Sandboxes;
  private readonly ports: PublishedPorts;
  private iptables?: Iptables;
  private readonly poolSize: number;
  private initialized = false;
  /** The embedded DNS of the user-defined networks (see dns/embedded-dns.ts). */
  private readonly dns: EmbeddedDns;
  /** Network create/remove and NAT rule writes run one at a time. */
  private serial: Promise<unknown> = Promise.resolve();

  constructor(opts: BridgeNetworkServiceOptions) {
    this.names = networkNames(opts.paths);
    this.store = new NetworkStore(opts.paths.networks);
    this.poolSize = opts.sandboxPool ?? 2;
    this.log = opts.log ?? silentLogger;
    this.dns = new EmbeddedDns(opts.dns ?? {}, this.log.child({ sub: 'dns' }));
    // <runDir>/network.lock: one lock for every daemon of the host (runcRoot is <runDir>/<instance>/runc)
    this.lockPath = join(dirname(dirname(opts.paths.runcRoot)), 'network.lock');
    this.networks = new NetworkTable(this.dns);
    this.factory = new BridgeNetworkFactory(this.lockPath, opts.ipam ?? DEFAULT_IPAM_CONFIG);
    const { names, store, log, networks } = this;
    this.ports = new PublishedPorts({ sandbox: (id) => this.sandboxes.record(id), store, log });
    this.sandboxes = new Sandboxes({ names, networks, store, log, beforeDestroy: (id) => this.ports.close(id) });
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
    return this.dns.nameserver(this.networks.find(idOrName).record.Id);
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

  // ---- lifecycle -------------------------------------------------------------------------------

  async init(opts: NetworkInitOptions = {}): Promise<void> {
    await this.store.open();
    await mkdir(this.names.netnsDir, { recursive: true });
    await mkdir(dirname(this.lockPath), { recursive: true });
    this.iptables = new Iptables(await detectFlavor(), this.names);
    // Forwarding is off on a fresh host; containers need it for any traffic beyond the bridge.
    await writeFile('/proc/sys/net/ipv4/ip_forward', '1');

    const links = await listLinks('', opts);
    const { names, networks, store, factory, log } = this;
    await new NetworkRecovery({ names, networks, store, factory, log }).recover(links, opts.signal);
    await this.ensurePredefined();
    if (opts.startDns !== false) for (const n of this.networks.values()) await this.startDns(n);

    await this.sandboxes.recover(
      links.map((l) => l.name).filter((n) => n.startsWith(this.names.vethPrefix)),
      opts.liveContainerIds,
    );
    await this.iptables.sync(this.networks.natNetworks(), { ensureJumps: true });
    this.initialized = true;
    await this.ports.restore(this.sandboxes.all());
    this.sandboxes.startPool(this.poolSize);
    this.log.info({ networks: this.networks.size, sandboxes: this.sandboxes.size }, 'networks ready');
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
        const record = baseRecord(name, name === 'host' ? 'host' : 'null', 'local');
        this.networks.add({ record, members: new Map() });
      }
    }
    if (changed) await this.persistNetworks();
  }

  /** Destroys the sandboxes of containers not in `liveContainerIds`; returns their ids. */
  async reconcile(liveContainerIds: Iterable<string>): Promise<string[]> {
    const live = new Set(liveContainerIds);
    const gone = this.sandboxes.containerIds().filter((id) => !live.has(id));
    for (const id of gone) await this.destroySandbox(id);
    return gone;
  }

  async close(): Promise<void> {
    await this.quiesce();
    this.sandboxes.close();
  }

  /** Stops what serves or works in the background (port proxies, the pool, DNS); the helpers stay. */
  private async quiesce(): Promise<void> {
    await Promise.all([this.sandboxes.closePool(), this.dns.close(), this.ports.closeAll()]);
    await this.serial;
    await this.settle();
  }

  /** Finishes background removals and deletes what the kernel has not yet cleaned up (veths). */
  settle(): Promise<void> {
    return this.sandboxes.settle();
  }

  /**
   * Removes every kernel object of this daemon (sandboxes, bridges, NAT chains) and the sandbox
   * records, keeping the network definitions: for tests and for uninstalling a daemon.
   */
  async teardown(): Promise<void> {
    await this.quiesce();
    await this.sandboxes.destroyAll();
    for (const n of this.networks.values()) if (n.record.bridge) await deleteLink(n.record.bridge);
    await (this.iptables ?? new Iptables(await detectFlavor(), this.names)).remove();
    this.sandboxes.close();
    await rmdir(this.names.netnsDir).catch(() => undefined);
    // The instance's run directory too, when nothing else (runc's state) is left in it.
    await rmdir(dirname(this.names.netnsDir)).catch(() => undefined);
    this.initialized = false;
  }

  // ---- networks --------------------------------------------------------------------------------

  private async addBridgeNetwork(o: Parameters<BridgeNetworkFactory['create']>[0]): Promise<NetworkRecord> {
    const own = [...this.networks.values()].flatMap((n) => (n.pool ? [n.pool.subnet] : []));
    const state = await this.factory.create(o, own);
    this.networks.add(state);
    return state.record;
  }

  private persistNetworks(): Promise<void> {
    return this.store.writeNetworks(this.networks.file());
  }

  private ready(): void {
    if (!this.initialized) throw new EngineError('the network service is not initialized: call init() first');
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
      const n = this.networks.nextBridge++;
      const record = await this.addBridgeNetwork({ ...opts, driver, bridge: this.names.bridge(n) });
      await this.persistNetworks();
      await this.iptables?.sync(this.networks.natNetworks());
      await this.startDns(this.networks.find(record.Id));
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
    const n = this.networks.find(idOrName);
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

  async remove(idOrName: string): Promise<void> {
    await this.awaitSwarmEndpoints(idOrName);
    return this.exclusive(async () => {
      this.ready();
      const n = this.networks.find(idOrName);
      const { Name, Id } = n.record;
      if (PREDEFINED.has(Name)) throw new EngineError(`${Name} is a pre-defined network and cannot be removed`, 403);
      if (n.members.size > 0)
        throw new ConflictError(`error while removing network: network ${Name} id ${Id} has active endpoints`);
      this.networks.delete(Id);
      await this.dns.removeNetwork(Id);
      await this.persistNetworks();
      if (n.record.bridge) await deleteLink(n.record.bridge);
      await this.iptables?.sync(this.networks.natNetworks());
      this.log.info({ network: Name }, 'network removed');
    });
  }

  /**
   * A swarm network's bridge on this node loses its endpoints as the tasks of removed services
   * stop. Docker removes such a network at once (`docker stack rm` removes the services, then the
   * networks, without waiting), so a remove waits for the endpoints to leave, a while, before it
   * refuses as for any network in use.
   */
  private async awaitSwarmEndpoints(idOrName: string): Promise<void> {
    const deadline = Date.now() + SWARM_ENDPOINTS_WAIT_MS;
    for (;;) {
      let n: NetState;
      try {
        n = this.networks.find(idOrName);
      } catch {
        return; // not found or ambiguous: remove() says so
      }
      if (n.record.Labels['com.docker.swarm.network'] !== 'true' || n.members.size === 0) return;
      if (Date.now() >= deadline) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  // ---- sandboxes (see sandboxes.ts) ------------------------------------------------------------

  sandbox(containerId: string): Sandbox | undefined {
    return this.sandboxes.sandbox(containerId);
  }

  /** Idempotent: a container that already has a sandbox gets the same one back. */
  async createSandbox(
    containerId: string,
    containerName: string,
    networkMode: string,
    opts: { aliases?: string[]; ip?: string } = {},
  ): Promise<Sandbox> {
    this.ready();
    return this.sandboxes.create(containerId, containerName, networkMode, opts);
  }

  /**
   * Idempotent: an unknown container has nothing to destroy. The veth pair goes with the
   * namespace; its address is handed out again only after the rest of the subnet (round robin).
   * With `background`, returns once the container is off its network (ports closed, endpoint
   * gone) and unmounts the namespace after: `settle()` waits for that, and so does a new sandbox
   * for the same container.
   */
  destroySandbox(containerId: string, opts: { background?: boolean } = {}): Promise<void> {
    return this.sandboxes.destroy(containerId, opts);
  }

  /** docker network connect: one more interface (eth1, ...) on another bridge network. */
  async connect(
    idOrName: string,
    containerId: string,
    opts: { aliases?: string[]; ip?: string } = {},
  ): Promise<EndpointInfo> {
    this.ready();
    return this.sandboxes.connect(this.networks.find(idOrName), containerId, opts);
  }

  /** docker network disconnect, for networks joined with `connect`. */
  async disconnect(idOrName: string, containerId: string): Promise<void> {
    this.ready();
    return this.sandboxes.disconnect(this.networks.find(idOrName), containerId);
  }

  // ---- published ports (see published-ports.ts) ------------------------------------------------

  async publish(containerId: string, containerIp: string, ports: PortBindingRequest[]): Promise<PublishedPort[]> {
    this.ready();
    return this.ports.publish(containerId, containerIp, ports);
  }

  /** The ports currently published for a container (docker port). */
  published(containerId: string): PublishedPort[] {
    return this.ports.published(containerId);
  }

  unpublish(containerId: string): Promise<void> {
    return this.ports.unpublish(containerId);
  }
}
