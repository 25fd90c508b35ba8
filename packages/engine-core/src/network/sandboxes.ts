// Container sandboxes: the network namespace of each container, wired to its network's bridge by a
// veth pair (eth0, and eth1... after `network connect`), made ahead of time on the default bridge
// when a pooled one is ready. Records persist so that a restarted daemon recovers them.
import { EngineError, InvalidArgumentError, NotFoundError } from '../errors';
import type { Logger } from '../log';
import type { AddressPool } from './ipam';
import { formatIp } from './ipv4';
import { attachVeths, deleteLink, destroyNetns, listLinks, listNetnsFiles } from './kernel';
import { macFromIp, type NetworkNames } from './names';
import { NetnsHelper } from './netns-helper';
import type { NetState, NetworkTable } from './network-table';
import { type PooledSandbox, SandboxPool } from './sandbox-pool';
import type { NetworkStore, SandboxRecord } from './store';
import type { EndpointInfo, Sandbox } from './types';

export interface SandboxesOptions {
  names: NetworkNames;
  networks: NetworkTable;
  store: NetworkStore;
  /** Runs first when a sandbox is destroyed: its published ports close. */
  beforeDestroy(containerId: string): Promise<void>;
  log: Logger;
}

export class Sandboxes {
  private readonly records = new Map<string, SandboxRecord>();
  /**
   * Host veths of destroyed sandboxes. Unmounting a namespace makes the kernel remove its veth pair
   * in its batched cleanup, far cheaper than `ip link del` (~25 ms each); `settle()` makes sure.
   */
  private readonly lingering = new Set<string>();
  /** Sandboxes being removed in the background, by container. */
  private readonly removals = new Map<string, Promise<void>>();
  private readonly helper = new NetnsHelper();
  /** The pool refills through its own shell so that a container's sandbox never queues behind it. */
  private readonly poolHelper = new NetnsHelper();
  private pool?: SandboxPool;

  constructor(private readonly o: SandboxesOptions) {}

  get size(): number {
    return this.records.size;
  }

  record(containerId: string): SandboxRecord | undefined {
    return this.records.get(containerId);
  }

  all(): IterableIterator<SandboxRecord> {
    return this.records.values();
  }

  containerIds(): string[] {
    return [...this.records.keys()];
  }

  sandbox(containerId: string): Sandbox | undefined {
    const rec = this.records.get(containerId);
    return rec && { containerId, netnsPath: rec.netnsPath, endpoints: structuredClone(rec.endpoints) };
  }

  /** Idempotent: a container that already has a sandbox gets the same one back. */
  async create(
    containerId: string,
    containerName: string,
    networkMode: string,
    opts: { aliases?: string[]; ip?: string } = {},
  ): Promise<Sandbox> {
    await this.removals.get(containerId);
    const existing = this.sandbox(containerId);
    if (existing) return existing;
    if (!/^[0-9a-f]{12,64}$/.test(containerId)) throw new InvalidArgumentError(`invalid container id ${containerId}`);
    const mode = networkMode === '' || networkMode === 'default' ? 'bridge' : networkMode;
    if (mode.startsWith('container:'))
      throw new InvalidArgumentError(`network mode ${mode} is not supported: use a network name, host or none`);
    const networks = this.o.networks;
    const net = networks.find(mode);
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
      const endpoint = networks.endpoint(net, net.pool, pooled.ipAddress, opts.aliases);
      rec.endpoints.push(endpoint);
      networks.join(net, containerId, { name, endpoint });
    } else if (net.record.Driver === 'host') {
      networks.join(net, containerId, { name });
    } else {
      rec.netnsPath = this.o.names.netnsPath(containerId);
      if (net.pool && net.record.bridge) {
        const endpoint = networks.endpoint(net, net.pool, net.pool.allocate(opts.ip), opts.aliases);
        rec.hostVeth = this.o.names.hostVeth();
        rec.endpoints.push(endpoint);
        networks.join(net, containerId, { name, endpoint });
      } else {
        networks.join(net, containerId, { name });
      }
      this.records.set(containerId, rec);
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
    this.records.set(containerId, rec);
    await this.o.store.writeSandbox(rec);
    return { containerId, netnsPath: rec.netnsPath, endpoints: structuredClone(rec.endpoints) };
  }

  /** Starts preparing `size` sandboxes on the default bridge ahead of time. */
  startPool(size: number): void {
    this.pool = new SandboxPool(
      size,
      () => this.makePooled(),
      (p) => this.dropPooled(p),
      this.o.log,
    );
    void this.pool.fill();
  }

  async closePool(): Promise<void> {
    await this.pool?.close();
  }

  private defaultBridge(): { net: NetState; pool: AddressPool; bridge: string } {
    const net = this.o.networks.find('bridge');
    if (!net.pool || !net.record.bridge)
      throw new EngineError('the default bridge network has no subnet or bridge: restart the daemon');
    return { net, pool: net.pool, bridge: net.record.bridge };
  }

  private async makePooled(): Promise<PooledSandbox> {
    const { pool, bridge } = this.defaultBridge();
    const ipAddress = pool.allocate();
    const s: PooledSandbox = {
      netnsPath: this.o.names.pooledNetnsPath(),
      hostVeth: this.o.names.hostVeth(),
      ipAddress,
    };
    try {
      await this.poolHelper.createNetns(s.netnsPath, {
        hostVeth: s.hostVeth,
        bridge,
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
    this.o.networks.find('bridge').pool?.release(s.ipAddress);
  }

  /** Every host veth of a sandbox with its bridge: the first network's and those of `connect`. */
  private vethsOf(rec: SandboxRecord): { veth: string; bridge: string }[] {
    const all = rec.hostVeth ? [{ networkId: rec.networkId, hostVeth: rec.hostVeth }] : [];
    return [...all, ...(rec.attachments ?? [])].flatMap((a) => {
      const bridge = this.o.networks.get(a.networkId)?.record.bridge;
      return bridge ? [{ veth: a.hostVeth, bridge }] : [];
    });
  }

  private forget(rec: SandboxRecord): void {
    const networks = this.o.networks;
    this.records.delete(rec.containerId);
    networks.leave(networks.get(rec.networkId), rec.containerId);
    for (const ep of rec.endpoints) {
      const net = networks.get(ep.networkId);
      networks.leave(net, rec.containerId);
      net?.pool?.release(ep.ipAddress);
    }
  }

  /** See NetworkService.destroySandbox. */
  async destroy(containerId: string, opts: { background?: boolean } = {}): Promise<void> {
    const rec = this.records.get(containerId);
    if (!rec) return this.removals.get(containerId);
    await this.o.beforeDestroy(containerId);
    this.forget(rec);
    const removal = (async () => {
      if (rec.netnsPath) await this.helper.removeNetns(rec.netnsPath);
      if (rec.hostVeth) this.lingering.add(rec.hostVeth);
      for (const a of rec.attachments ?? []) this.lingering.add(a.hostVeth);
      if (this.lingering.size >= 32) {
        this.settle().catch((e: unknown) =>
          this.o.log.warn({ err: (e as Error).message }, 'could not delete the veths of destroyed sandboxes'),
        );
      }
      await this.o.store.removeSandbox(containerId);
    })();
    if (!opts.background) return removal;
    const tracked = removal
      .catch((e: unknown) =>
        this.o.log.warn(
          { containerId, err: (e as Error).message },
          'could not remove a network sandbox (the next start cleans it)',
        ),
      )
      .finally(() => this.removals.delete(containerId));
    this.removals.set(containerId, tracked);
  }

  /** docker network connect: one more interface (eth1, ...) on another bridge network. */
  async connect(
    net: NetState,
    containerId: string,
    opts: { aliases?: string[]; ip?: string } = {},
  ): Promise<EndpointInfo> {
    const rec = this.records.get(containerId);
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
    const networks = this.o.networks;
    const endpoint = networks.endpoint(net, net.pool, net.pool.allocate(opts.ip), opts.aliases);
    const hostVeth = this.o.names.hostVeth();
    networks.join(net, containerId, { name: rec.containerName, endpoint });
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
      networks.leave(net, containerId);
      net.pool.release(endpoint.ipAddress);
      throw e;
    }
    rec.endpoints.push(endpoint);
    rec.attachments = [...(rec.attachments ?? []), { networkId: net.record.Id, hostVeth, ifname }];
    await this.o.store.writeSandbox(rec);
    return structuredClone(endpoint);
  }

  /** docker network disconnect, for networks joined with `connect`. */
  async disconnect(net: NetState, containerId: string): Promise<void> {
    const rec = this.records.get(containerId);
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
    this.o.networks.leave(net, containerId);
    if (ep) net.pool?.release(ep.ipAddress);
    await this.o.store.writeSandbox(rec);
  }

  /**
   * After a daemon restart: the recorded sandboxes of containers in `live` (all, without it) whose
   * namespace and networks are still there are kept; the rest, and kernel objects without a
   * record, are removed. `hostVeths` are this daemon's host veths found on the host.
   */
  async recover(hostVeths: string[], live?: Iterable<string>): Promise<void> {
    const networks = this.o.networks;
    const keep = live ? new Set(live) : undefined;
    const netnsFiles = new Set(await listNetnsFiles(this.o.names.netnsDir));
    for (const rec of await this.o.store.readSandboxes()) {
      const net = networks.get(rec.networkId);
      const kernelOk = rec.netnsPath === null || netnsFiles.has(rec.netnsPath);
      // Two records claiming one address cannot both be right: the later one is dropped.
      const addressesFree = rec.endpoints.every((ep) => {
        const pool = networks.get(ep.networkId)?.pool;
        return pool !== undefined && !pool.isAllocated(ep.ipAddress);
      });
      const epNets = rec.endpoints.map((ep) => ({ ep, n: networks.get(ep.networkId) }));
      const networksKnown = epNets.every(({ n }) => n !== undefined);
      if (net && networksKnown && kernelOk && addressesFree && (!keep || keep.has(rec.containerId))) {
        this.records.set(rec.containerId, rec);
        if (rec.endpoints.length === 0) networks.join(net, rec.containerId, { name: rec.containerName });
        for (const { ep, n } of epNets) {
          if (!n) continue; // checked above (networksKnown)
          n.pool?.allocate(ep.ipAddress);
          networks.join(n, rec.containerId, { name: rec.containerName, endpoint: ep });
        }
        if (rec.netnsPath) netnsFiles.delete(rec.netnsPath);
        continue;
      }
      this.o.log.info({ containerId: rec.containerId }, 'removing the network sandbox of a container that is gone');
      if (rec.netnsPath) {
        await destroyNetns(rec.netnsPath, rec.hostVeth);
        for (const a of rec.attachments ?? []) await deleteLink(a.hostVeth);
        netnsFiles.delete(rec.netnsPath);
      }
      await this.o.store.removeSandbox(rec.containerId);
    }
    // Kernel objects with no record: a crash between creating them and writing the record.
    for (const path of netnsFiles) await destroyNetns(path, null);
    // A bridge that had to be made again (deleted while the daemon was down) lost its ports.
    const ports = [...this.records.values()].flatMap((s) => this.vethsOf(s));
    const keptVeths = new Set(ports.map((p) => p.veth));
    for (const v of hostVeths) if (!keptVeths.has(v)) await deleteLink(v);
    await attachVeths(ports);
  }

  /** Finishes background removals and deletes what the kernel has not yet cleaned up (veths). */
  async settle(): Promise<void> {
    await Promise.all([...this.removals.values()]);
    const names = [...this.lingering];
    this.lingering.clear();
    if (names.length === 0) return;
    const present = new Set((await listLinks(this.o.names.vethPrefix)).map((l) => l.name));
    await Promise.all(names.filter((n) => present.has(n)).map((n) => deleteLink(n)));
  }

  /** Daemon shutdown: the shells end; the namespaces stay for the next daemon. */
  close(): void {
    this.helper.close();
    this.poolHelper.close();
  }

  /** Every sandbox destroyed, then the shells end (teardown). */
  async destroyAll(): Promise<void> {
    // The sandboxes' namespaces go through the helper: before it is closed.
    for (const id of this.containerIds()) await this.destroy(id);
    await this.settle();
    this.poolHelper.close();
  }
}
