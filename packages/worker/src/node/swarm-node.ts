import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  ContainerManager,
  DataPaths,
  ImageStore,
  Logger,
  NetworkService,
  RegistryClient,
} from '@flotilla/engine-core';
import {
  callerIdentity,
  channelCredentials,
  identityOf,
  NodeCertificates,
  checkAddrPool,
  NODE_TLS_NAME,
  NotSwarmManagerError,
  PermissionDeniedError,
  renewNodeCertificate,
  requestNodeCertificate,
  SwarmManager,
  SwarmStateFiles,
  type NodeIdentity,
  type NodeState,
  type NodeTls,
  type SwarmManagerOptions,
} from '@flotilla/manager';
import { Agent } from '../agent/agent';
import { EngineExecutor } from '../executor/engine-executor';
import { RoutingMesh } from '../mesh';
import { peerAddresses, peerImageFetcher, registerPeerServices } from '../peer';
import { serviceLogLines, taskLogPrefix, type ServiceLogLine, type ServiceLogsOptions } from '../peer/service-logs';
import { defaultAdvertiseHost, resolveAddr } from './addresses';
import { MeshController, taskNodeHosts } from './mesh-controller';
import { ClusterListenError, SwarmStateError } from './errors';
import { NodeServer, type NodeServiceRegistration } from './node-server';
import { MeshTunnel } from './mesh-tunnel';
import { RenewalTimer } from './renewal-timer';
import { RoleReconciler } from './role-reconciler';
import { assertCanListen, clusterInfo, leaveRefusal, localAddr } from './membership';
import { TaskNetworks } from './task-networks';
import { serviceDnsSource } from './service-dns';
import { VipAddresses } from './vip-addresses';

export interface SwarmNodeDeps {
  paths: DataPaths;
  containers: ContainerManager;
  images: ImageStore;
  networks: NetworkService;
  registry?: RegistryClient;
  engineVersion: string;
  log: Logger;
  hostname?: string;
  heartbeatPeriodMs?: number;
  /** Routing-mesh accept loops beside the daemon's own (child processes); the daemon uses cores - 1. */
  meshAcceptLoops?: number;
  /** TCP port other nodes' routing meshes tunnel into (default 7946; 0 = any free port). */
  meshTunnelPort?: number;
}

export const DEFAULT_CLUSTER_PORT = 2377;

/**
 * One daemon's part in a swarm: the worker agent (every node), the manager (manager nodes), the
 * engine executor that runs tasks as containers, and the routing mesh on published ports. The
 * local agent talks to the local manager over gRPC with mutual TLS, exactly like a remote one.
 */
export class SwarmNode {
  manager: SwarmManager | null = null;
  agent: Agent | null = null;
  state: NodeState | null = null;
  private readonly mesh: RoutingMesh;
  private readonly meshCtl: MeshController;
  private readonly meshTunnel: MeshTunnel;
  private readonly files: SwarmStateFiles;
  private readonly taskNetworks: TaskNetworks;
  private readonly vipAddresses: VipAddresses;
  private readonly removeDnsSource: () => void;
  private readonly server = new NodeServer();
  private tls: NodeTls | null = null;
  /** The agent's and peers' view of `tls`, renewed in place. */
  private certs: NodeCertificates | null = null;
  private readonly renewal: RenewalTimer;
  /** Follows the role the session announces (promote / demote), per agent. */
  private roles: RoleReconciler | null = null;

  constructor(private readonly d: SwarmNodeDeps) {
    this.files = new SwarmStateFiles(join(d.paths.root, 'swarm'));
    this.mesh = new RoutingMesh({ logger: d.log.child({ component: 'mesh' }), acceptLoops: d.meshAcceptLoops ?? 0 });
    this.vipAddresses = new VipAddresses(d.networks, d.log.child({ component: 'vip' }));
    this.meshCtl = new MeshController(this.mesh, () => this.state?.nodeId ?? '', d.log, this.vipAddresses);
    this.meshTunnel = new MeshTunnel(this.mesh, (task, port) => this.meshCtl.localTarget(task, port), {
      port: d.meshTunnelPort,
      log: d.log.child({ component: 'mesh-tunnel' }),
    });
    this.taskNetworks = new TaskNetworks(d.networks, () => this.meshCtl.refresh());
    // Service names on swarm networks for the embedded DNS (`redis`, `lab_redis`, `tasks.redis`).
    this.removeDnsSource = d.networks.addDnsSource(
      serviceDnsSource(
        () => this.meshCtl.view(),
        () => this.state?.nodeId ?? '',
      ),
    );
    this.renewal = new RenewalTimer(
      () => this.renewCertificate(),
      () => this.tls?.certPem ?? null,
      d.log.child({ component: 'certificates' }),
    );
    // Every node serves its images and task logs to the other nodes of its swarm.
    this.registerNodeService((server) =>
      registerPeerServices(server, {
        images: d.images,
        containers: d.containers,
        clusterId: () => this.state?.clusterId,
        log: d.log.child({ component: 'peer' }),
      }),
    );
  }

  /**
   * Nodes to ask for an image this node lacks: managers first, then every ready node (a manager
   * reads them from its store; a worker takes the nodes that run tasks from the mesh view, so an
   * image built on one worker reaches the others too).
   */
  private peerAddrs(): string[] {
    const st = this.state;
    if (!st) return [];
    const m = this.manager;
    const nodes = m
      ? m.store.state
          .list('nodes')
          .filter((n) => n.ID !== st.nodeId)
          .map((n) => ({ addr: n.Status.Addr, ready: n.Status.State === 'ready' }))
      : taskNodeHosts(this.meshCtl.view(), st.nodeId).map((addr) => ({ addr, ready: true }));
    const managers = this.agent?.knownManagers() ?? st.managers;
    return peerAddresses({
      self: st.advertiseAddr,
      managers: managers.filter((a) => a !== st.advertiseAddr.replace(/^0\.0\.0\.0:/, '127.0.0.1:')),
      nodes,
      port: DEFAULT_CLUSTER_PORT,
    });
  }

  /**
   * Adds a gRPC service to this node's cluster listener (every role: managers and workers). The
   * function runs now if the listener is up, and again whenever it is started (after a join).
   * Callers check the caller's certificate themselves (`callerIdentity` from @flotilla/manager).
   */
  registerNodeService(fn: NodeServiceRegistration): void {
    this.server.register(fn);
  }

  /**
   * Who is calling a node service: the identity in the caller's certificate (CN node ID, OU role),
   * checked against this swarm. Throws PermissionDeniedError (gRPC code 7) for a call without a
   * certificate (the listener admits those for the CA's join calls) or from another swarm.
   */
  callerOf(call: { getAuthContext(): { sslPeerCertificate?: { raw?: Buffer } } | null }): NodeIdentity {
    if (!this.state) throw new PermissionDeniedError('this node is not part of a swarm');
    return callerIdentity(call, this.state.clusterId);
  }

  /** The port the cluster listener is bound to (0 when not in a swarm). */
  get clusterPort(): number {
    return this.server.port;
  }

  private managerOptions(): SwarmManagerOptions {
    return {
      dir: this.files.dir,
      log: this.d.log.child({ component: 'manager' }),
      heartbeatPeriodMs: this.d.heartbeatPeriodMs,
      nodeServer: (tls, listenAddr) => this.server.start(listenAddr, tls),
    };
  }

  /** After a daemon restart: rejoin the swarm this node was in. */
  async open(): Promise<void> {
    // VIPs a previous run left on the bridges (killed before it could remove them): the first
    // view from the managers puts back those still wanted.
    await this.vipAddresses
      .clear()
      .catch((e: Error) => this.d.log.warn({ err: e.message }, 'could not remove old service VIPs from the bridges'));
    const saved = await this.files.load();
    if (!saved) return;
    this.state = saved.state;
    this.tls = saved.tls;
    if (saved.state.role === 'manager') this.manager = await SwarmManager.open(this.managerOptions());
    else {
      // A worker without its listener still runs its tasks; only peers' calls to it fail.
      await this.server
        .start(saved.state.listenAddr, saved.tls)
        .catch((e: Error) => this.d.log.error({ err: e }, 'cluster listener not started'));
    }
    this.startAgent(saved.tls);
  }

  get active(): boolean {
    return this.state !== null;
  }

  requireManager(): SwarmManager {
    if (!this.manager) throw new NotSwarmManagerError({ worker: this.state !== null });
    return this.manager;
  }

  async init(req: {
    ListenAddr?: string;
    AdvertiseAddr?: string;
    ForceNewCluster?: boolean;
    DefaultAddrPool?: string[] | null;
    SubnetSize?: number | null;
  }): Promise<string> {
    if (this.state && this.manager && req.ForceNewCluster) {
      // Recover from a permanent loss of quorum: this manager alone, keeping the swarm's state.
      this.manager = await this.manager.forceNewCluster();
      return this.manager.nodeId;
    }
    if (this.state)
      throw new SwarmStateError(
        'This node is already part of a swarm. Use "flotilla swarm leave" to leave this swarm and join another one.',
        503,
      );
    let addrPool: ReturnType<typeof checkAddrPool>;
    try {
      addrPool = checkAddrPool(req.DefaultAddrPool ?? undefined, req.SubnetSize ?? undefined);
    } catch (e) {
      throw new SwarmStateError((e as Error).message, 400);
    }
    const advertiseHost = () => defaultAdvertiseHost();
    const listenAddr = resolveAddr(req.ListenAddr || '0.0.0.0:2377', DEFAULT_CLUSTER_PORT, () => '0.0.0.0');
    let advertiseAddr: string;
    try {
      advertiseAddr = resolveAddr(req.AdvertiseAddr, Number(listenAddr.split(':').pop()), advertiseHost);
    } catch (e) {
      throw new SwarmStateError((e as Error).message, 400);
    }
    const executor = this.executor();
    try {
      this.manager = await SwarmManager.init({
        ...this.managerOptions(),
        ...addrPool,
        listenAddr,
        advertiseAddr,
        description: await executor.describe(),
      });
    } catch (e) {
      this.server.stop();
      if (e instanceof ClusterListenError) throw new SwarmStateError(e.message, 400);
      throw e;
    }
    this.state = this.manager.state;
    this.tls = this.manager.tls;
    this.startAgent(this.manager.tls);
    // Like docker, `swarm init` returns once this node is a ready member that can take tasks.
    const m = this.manager;
    const deadline = Date.now() + 10_000;
    while (m.store.state.get('nodes', m.nodeId)?.Status.State !== 'ready' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    return m.nodeId;
  }

  async join(req: {
    RemoteAddrs: string[];
    JoinToken: string;
    ListenAddr?: string;
    AdvertiseAddr?: string;
  }): Promise<void> {
    if (this.state)
      throw new SwarmStateError(
        'This node is already part of a swarm. Use "flotilla swarm leave" to leave this swarm and join another one.',
        503,
      );
    const remote = req.RemoteAddrs?.[0];
    if (!remote)
      throw new SwarmStateError('no manager address given: flotilla swarm join --token <token> <manager-ip>:2377', 400);
    const listenAddr = resolveAddr(req.ListenAddr || '0.0.0.0:2377', DEFAULT_CLUSTER_PORT, () => '0.0.0.0');
    const advertiseAddr = resolveAddr(req.AdvertiseAddr, Number(listenAddr.split(':').pop()), () =>
      defaultAdvertiseHost(),
    );
    // A port in use must fail the join before the swarm hears of this node.
    await assertCanListen(listenAddr);
    const executor = this.executor();
    const desc = await executor.describe();
    const managerAddr = remote.includes(':') ? remote : `${remote}:${DEFAULT_CLUSTER_PORT}`;
    const joined = await requestNodeCertificate({
      managerAddr,
      token: req.JoinToken,
      hostname: desc.Hostname,
      advertiseAddr,
      description: desc,
    });
    const state: NodeState = {
      nodeId: joined.nodeId,
      clusterId: joined.clusterId,
      role: joined.role,
      listenAddr,
      advertiseAddr,
      managers: [managerAddr],
    };
    try {
      if (joined.role === 'manager') {
        this.manager = await SwarmManager.join({
          ...this.managerOptions(),
          state,
          tls: joined.tls,
          remotes: [managerAddr],
        });
      } else {
        await this.server.start(listenAddr, joined.tls);
        await this.files.save(state, joined.tls);
      }
    } catch (e) {
      this.server.stop();
      await rm(this.files.dir, { recursive: true, force: true });
      if (e instanceof ClusterListenError) throw new SwarmStateError(e.message, 400);
      throw e;
    }
    this.state = state;
    this.tls = joined.tls;
    this.startAgent(joined.tls);
  }

  async leave(force: boolean): Promise<void> {
    if (!this.state) throw new SwarmStateError('This node is not part of a swarm', 503);
    const m = this.manager;
    if (m && !force) throw new SwarmStateError(leaveRefusal(m), 503);
    if (m && m.raftStatus().members.filter((x) => x.voter).length > 1) {
      // --force with other managers: leave Raft first so they keep their quorum arithmetic right.
      await m
        .removeManager(m.nodeId)
        .catch((e: Error) => this.d.log.warn({ err: e }, 'could not leave Raft before leaving the swarm'));
    }
    this.renewal.stop();
    await this.roles?.stop();
    this.roles = null;
    await this.agent?.stop({ shutdownTasks: true });
    this.agent = null;
    await this.meshCtl.close();
    await this.vipAddresses
      .clear()
      .catch((e: Error) => this.d.log.warn({ err: e.message }, 'could not remove the service VIPs from the bridges'));
    await this.meshTunnel.stop();
    await this.manager?.stop();
    this.manager = null;
    this.server.stop();
    this.state = null;
    this.tls = null;
    await rm(this.files.dir, { recursive: true, force: true });
  }

  /**
   * The leader changed this node's role (node promote / demote): renew the certificate (the CA
   * takes the role from the store), then start the manager and join Raft, or stop it; the agent
   * opens its session again with the new certificate. Tasks keep running throughout. One attempt;
   * the RoleReconciler repeats it until the role is the announced one.
   */
  private async changeRole(role: 'manager' | 'worker'): Promise<void> {
    const state = this.state;
    const agent = this.agent;
    if (!state || !this.tls || !agent || state.role === role) return;
    const managers = agent
      .knownManagers()
      .filter((a) => a !== state.advertiseAddr && a !== localAddr(state.advertiseAddr));
    const renewed = await renewNodeCertificate({ managerAddrs: managers, tls: this.tls });
    if (renewed.role !== role) {
      this.d.log.info({ role, got: renewed.role }, 'the renewed certificate does not carry the new role yet');
      return;
    }
    const next: NodeState = { ...state, role };
    if (role === 'manager') {
      // Raft peers accept only a manager's certificate from this listener: present it before joining.
      this.server.updateTls(renewed.tls);
      this.manager = await SwarmManager.join({
        ...this.managerOptions(),
        state: next,
        tls: renewed.tls,
        remotes: managers,
      });
    } else {
      await this.manager?.stop();
      this.manager = null;
      await rm(this.files.raftDir, { recursive: true, force: true });
      await this.files.save(next, renewed.tls);
    }
    this.state = next;
    this.tls = renewed.tls;
    this.server.updateTls(renewed.tls);
    this.d.log.info({ role }, 'this node changed role');
    this.certs?.update(renewed.tls);
    agent.setCredentials(
      this.certs ? this.certs.channel() : channelCredentials(renewed.tls),
      role === 'manager' ? [localAddr(next.advertiseAddr)] : managers,
    );
    this.renewal.schedule();
  }

  private executor(): EngineExecutor {
    return new EngineExecutor({
      containers: this.d.containers,
      images: this.d.images,
      registry: this.d.registry,
      fetchFromPeers: peerImageFetcher({
        images: this.d.images,
        peers: () => this.peerAddrs(),
        credentials: () => (this.tls ? channelCredentials(this.tls) : null),
        log: this.d.log.child({ component: 'peer' }),
      }),
      serviceName: (t) => t.ServiceAnnotations?.Name ?? t.ServiceID,
      network: (t) => this.taskNetworks.forTask(t),
      engineVersion: this.d.engineVersion,
      hostname: this.d.hostname,
      log: this.d.log,
    });
  }

  private startAgent(tls: NodeTls): void {
    const managers = this.state!.role === 'manager' ? [localAddr(this.state!.advertiseAddr)] : this.state!.managers;
    // The session's certificate is replaced in place when it is renewed (no session drop).
    this.certs = new NodeCertificates(tls);
    const roles = new RoleReconciler({
      current: () => this.state?.role ?? null,
      change: (role) => this.changeRole(role),
      log: this.d.log.child({ component: 'role' }),
    });
    this.roles = roles;
    this.agent = new Agent({
      managers,
      credentials: this.certs.channel(),
      serverName: NODE_TLS_NAME,
      executor: this.executor(),
      log: this.d.log.child({ component: 'agent' }),
      onMesh: (view) => this.meshCtl.update(view),
      onRole: (role) => roles.want(role),
      meshTunnelPort: () => this.meshTunnel.start(this.tls ?? tls, this.state!.clusterId),
    });
    this.agent.start();
    this.renewal.schedule();
  }

  /**
   * A new certificate for a new key, same identity and role, from any manager's CA; every
   * listener and channel of this node presents it from its next handshake (no session drops).
   */
  async renewCertificate(): Promise<void> {
    const state = this.state;
    const agent = this.agent;
    if (!state || !this.tls || !agent) return;
    const managers = [
      ...new Set([...(state.role === 'manager' ? [localAddr(state.advertiseAddr)] : []), ...agent.knownManagers()]),
    ];
    const renewed = await renewNodeCertificate({ managerAddrs: managers, tls: this.tls });
    // A role change comes with the session (changeRole), not with a renewal.
    if (renewed.role !== state.role || this.state !== state) return;
    await this.files.save(state, renewed.tls);
    this.tls = renewed.tls;
    this.certs?.update(renewed.tls);
    this.server.updateTls(renewed.tls);
    this.manager?.updateTls(renewed.tls);
    void this.meshTunnel.start(renewed.tls, state.clusterId);
    this.d.log.info({ expires: identityOf(renewed.tls.certPem).notAfter.toISOString() }, 'node certificate renewed');
  }

  /**
   * `service logs`: the log lines of every task of the service, read on the node each ran on
   * (see peer/service-logs), prefixed like docker's `web.1.<task>@<node>    | `, merged as they
   * come (follow keeps going). `nodeAddr` finds a node's Peer service (default: its address on
   * the cluster port).
   */
  async *serviceLogs(
    ref: string,
    opts: ServiceLogsOptions & { nodeAddr?: (nodeId: string) => string | undefined },
  ): AsyncGenerator<ServiceLogLine> {
    const m = this.requireManager();
    const svc = m.services.inspect(ref);
    const node = (id?: string) => m.store.state.get('nodes', id ?? '');
    const host = (id?: string) => node(id)?.Description.Hostname ?? id ?? '';
    const tasks = m.store.state
      .list('tasks')
      .filter((t) => t.ServiceID === svc.ID && t.Status.ContainerStatus?.ContainerID);
    // this node's certificate (as saved by init/join), for calls to the other nodes' TaskLogs
    const tls = this.tls;
    yield* serviceLogLines(
      tasks.map((t) => ({
        taskId: t.ID,
        nodeId: t.NodeID ?? '',
        containerId: t.Status.ContainerStatus!.ContainerID!,
        nodeName: host(t.NodeID),
        prefix: taskLogPrefix(svc.Spec.Name, t, host(t.NodeID), opts),
      })),
      opts,
      {
        localNodeId: m.nodeId,
        local: (id, o) => this.d.containers.logs(id, o),
        nodeAddr:
          opts.nodeAddr ??
          ((id) => (node(id)?.Status.Addr ? `${node(id)!.Status.Addr}:${DEFAULT_CLUSTER_PORT}` : undefined)),
        credentials: tls ? channelCredentials(tls) : undefined,
      },
    );
  }

  /** The Swarm section of GET /info. */
  info(): Record<string, unknown> {
    if (!this.state)
      return {
        NodeID: '',
        NodeAddr: '',
        LocalNodeState: 'inactive',
        ControlAvailable: false,
        Error: '',
        RemoteManagers: null,
      };
    const m = this.manager;
    const nodes = m?.store.state.list('nodes') ?? [];
    const remote = m
      ? m.managers().map((x) => ({ NodeID: x.nodeId, Addr: x.addr }))
      : (this.agent?.knownManagers() ?? this.state.managers).map((addr) => ({ NodeID: '', Addr: addr }));
    return {
      NodeID: this.state.nodeId,
      NodeAddr: this.state.advertiseAddr.split(':')[0],
      LocalNodeState: 'active',
      ControlAvailable: !!m,
      Error: '',
      RemoteManagers: remote,
      ...(m
        ? { Nodes: nodes.length, Managers: m.managers().length, Cluster: clusterInfo(m, this.state.clusterId) }
        : {}),
    };
  }

  async close(): Promise<void> {
    this.renewal.stop();
    await this.roles?.stop();
    await this.agent?.stop();
    await this.meshCtl.close();
    await this.vipAddresses
      .clear()
      .catch((e: Error) => this.d.log.warn({ err: e.message }, 'could not remove the service VIPs from the bridges'));
    this.removeDnsSource();
    await this.meshTunnel.stop();
    await this.mesh.close();
    await this.manager?.stop();
    this.server.stop();
  }
}
