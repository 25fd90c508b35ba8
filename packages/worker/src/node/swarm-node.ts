// A daemon's part in a swarm (join, leave, roles, certificates): the composition root of the worker.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  callerIdentity,
  channelCredentials,
  identityOf,
  NodeCertificates,
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
import type { EngineExecutor } from '../executor/engine-executor';
import { registerPeerServices } from '../peer';
import type { ServiceLogLine } from '../peer/service-logs';
import { agentManagers } from './agent-managers';
import { NodeDataPlane } from './data-plane';
import type { SwarmNodeDeps } from './deps';
import { ClusterListenError, SwarmStateError } from './errors';
import { assertCanListen, leaveRefusal, localAddr, swarmInfo } from './membership';
import { NodeServer, type NodeServiceRegistration } from './node-server';
import { RenewalTimer } from './renewal-timer';
import { caManagerAddrs, TlsWatch } from './tls-watch';
import { alreadyInSwarm, initSettings, joinSettings, type InitRequest, type JoinRequest } from './requests';
import { RoleReconciler } from './role-reconciler';
import { SwarmLock } from './swarm-lock';
import { serviceLogs, type ServiceLogsRequest } from './service-log-tasks';
import { imagePeers, taskExecutor } from './task-executor';

export type { SwarmNodeDeps };

/**
 * One daemon's part in a swarm: the worker agent (every node), the manager (manager nodes), the
 * engine executor that runs tasks as containers, and the routing mesh on published ports. The
 * local agent talks to the local manager over gRPC with mutual TLS, exactly like a remote one.
 */
export class SwarmNode {
  manager: SwarmManager | null = null;
  agent: Agent | null = null;
  state: NodeState | null = null;
  private readonly dataPlane: NodeDataPlane;
  private readonly files: SwarmStateFiles;
  private readonly lock: SwarmLock;
  private readonly server = new NodeServer();
  private tls: NodeTls | null = null;
  /** The agent's and peers' view of `tls`, renewed in place. */
  private certs: NodeCertificates | null = null;
  private readonly renewal: RenewalTimer;
  private readonly tlsWatch: TlsWatch;
  /** Follows the role the session announces (promote / demote), per agent. */
  private roles: RoleReconciler | null = null;

  constructor(private readonly d: SwarmNodeDeps) {
    this.files = new SwarmStateFiles(join(d.paths.root, 'swarm'));
    this.lock = new SwarmLock(this.files);
    this.dataPlane = new NodeDataPlane({
      networks: d.networks,
      log: d.log,
      nodeId: () => this.state?.nodeId ?? '',
      meshAcceptLoops: d.meshAcceptLoops ?? 0,
      meshTunnelPort: d.meshTunnelPort,
    });
    this.renewal = new RenewalTimer(
      () => this.renewCertificate(),
      () => this.tls?.certPem ?? null,
      d.log.child({ component: 'certificates' }),
    );
    this.tlsWatch = new TlsWatch({
      tls: () => this.tls,
      managers: () => caManagerAddrs(this.state, this.agent?.knownManagers()),
      trust: (caCertPem) => this.applyTls({ ...this.tls!, caCertPem }),
      renew: () => this.renewCertificate().then(() => this.renewal.schedule()),
      log: d.log.child({ component: 'certificates' }),
    });
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
    await this.dataPlane.clearVips('could not remove old service VIPs from the bridges');
    if ((this.state = await this.lock.lockedState())) return;
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

  async unlock(key: string): Promise<void> {
    await this.lock.unlock(this.state !== null, key);
    await this.open();
  }

  requireManager(): SwarmManager {
    this.lock.check();
    if (!this.manager) throw new NotSwarmManagerError({ worker: this.state !== null });
    return this.manager;
  }

  async init(req: InitRequest): Promise<string> {
    if (this.state && this.manager && req.ForceNewCluster) {
      // Recover from a permanent loss of quorum: this manager alone, keeping the swarm's state.
      this.manager = await this.manager.forceNewCluster();
      return this.manager.nodeId;
    }
    if (this.state) throw alreadyInSwarm();
    const { addrPool, listenAddr, advertiseAddr } = initSettings(req);
    const executor = this.executor();
    try {
      this.manager = await SwarmManager.init({
        ...this.managerOptions(),
        ...addrPool,
        autoLockManagers: req.AutoLockManagers,
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

  async join(req: JoinRequest): Promise<void> {
    if (this.state) throw alreadyInSwarm();
    const { managerAddr, listenAddr, advertiseAddr } = joinSettings(req);
    // A port in use must fail the join before the swarm hears of this node.
    await assertCanListen(listenAddr);
    const executor = this.executor();
    const desc = await executor.describe();
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
    this.lock.leaving(force);
    const m = this.manager;
    if (m && !force) throw new SwarmStateError(leaveRefusal(m), 503);
    if (m && m.raftStatus().members.filter((x) => x.voter).length > 1) {
      // --force with other managers: leave Raft first so they keep their quorum arithmetic right.
      await m
        .removeManager(m.nodeId)
        .catch((e: Error) => this.d.log.warn({ err: e }, 'could not leave Raft before leaving the swarm'));
    }
    this.renewal.stop();
    this.tlsWatch.stop();
    await this.roles?.stop();
    this.roles = null;
    await this.agent?.stop({ shutdownTasks: true });
    this.agent = null;
    await this.dataPlane.leave();
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
      agentManagers(
        { ...next, managers },
        this.manager?.managers().map((m) => m.addr),
      ),
    );
    this.renewal.schedule();
  }

  private executor(): EngineExecutor {
    return taskExecutor(this.d, {
      peers: () =>
        imagePeers(this.state, this.manager, () => this.dataPlane.meshCtl.view(), this.agent?.knownManagers()),
      tls: () => this.tls,
      taskNetworks: this.dataPlane.taskNetworks,
    });
  }

  private startAgent(tls: NodeTls): void {
    const managers = agentManagers(
      this.state!,
      this.manager?.managers().map((m) => m.addr),
    );
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
      onMesh: (view) => this.dataPlane.meshCtl.update(view),
      onRole: (role) => roles.want(role),
      meshTunnelPort: () => this.dataPlane.meshTunnel.start(this.tls ?? tls, this.state!.clusterId),
    });
    this.agent.start();
    this.renewal.schedule();
    this.tlsWatch.start();
  }

  /** A new certificate for a new key, same identity and role; new handshakes present it (no session drops). */
  async renewCertificate(): Promise<void> {
    const state = this.state;
    const agent = this.agent;
    if (!state || !this.tls || !agent) return;
    const managerAddrs = caManagerAddrs(state, agent.knownManagers());
    const renewed = await renewNodeCertificate({ managerAddrs, tls: this.tls });
    // A role change comes with the session (changeRole), not with a renewal.
    if (renewed.role !== state.role || this.state !== state) return;
    await this.applyTls(renewed.tls);
    this.d.log.info({ expires: identityOf(renewed.tls.certPem).notAfter.toISOString() }, 'node certificate renewed');
  }

  /** New credentials (a renewal, new trusted roots): saved, and used by every new handshake. */
  private async applyTls(tls: NodeTls): Promise<void> {
    await this.files.save(this.state!, tls);
    this.tls = tls;
    this.certs?.update(tls);
    this.server.updateTls(tls);
    this.manager?.updateTls(tls);
    void this.dataPlane.meshTunnel.start(tls, this.state!.clusterId);
  }

  /** `service logs` (see service-log-tasks.ts): read through this node's certificate. */
  serviceLogs(ref: string, opts: ServiceLogsRequest): AsyncGenerator<ServiceLogLine> {
    return serviceLogs(this.requireManager(), ref, opts, this.tls, this.d.containers);
  }

  /** The Swarm section of GET /info. */
  info(): Record<string, unknown> {
    return swarmInfo(this.state, this.manager, this.agent?.knownManagers(), this.lock.locked);
  }

  async close(): Promise<void> {
    this.renewal.stop();
    this.tlsWatch.stop();
    await this.roles?.stop();
    await this.agent?.stop();
    await this.dataPlane.close();
    await this.manager?.stop();
    this.server.stop();
  }
}
