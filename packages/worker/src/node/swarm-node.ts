import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerManager, DataPaths, ImageStore, Logger, NetworkService, RegistryClient } from '@flotilla/engine-core';
import { channelCredentials, NODE_TLS_NAME, NotSwarmManagerError, requestNodeCertificate, SwarmManager, SwarmStateFiles, type NodeState, type NodeTls } from '@flotilla/manager';
import { Agent } from '../agent/agent';
import { EngineExecutor } from '../executor/engine-executor';
import { RoutingMesh } from '../mesh';
import { defaultAdvertiseHost, resolveAddr } from './addresses';
import { MeshController } from './mesh-controller';
import { MeshTunnel } from './mesh-tunnel';
import { TaskNetworks } from './task-networks';

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

/** Swarm membership errors with docker's texts (503/400 at the API edge). */
export class SwarmStateError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
    this.name = 'SwarmStateError';
  }
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

  constructor(private readonly d: SwarmNodeDeps) {
    this.files = new SwarmStateFiles(join(d.paths.root, 'swarm'));
    this.mesh = new RoutingMesh({ logger: d.log.child({ component: 'mesh' }), acceptLoops: d.meshAcceptLoops ?? 0 });
    this.meshCtl = new MeshController(this.mesh, () => this.state?.nodeId ?? '', d.log);
    this.meshTunnel = new MeshTunnel(this.mesh, (task, port) => this.meshCtl.localTarget(task, port), { port: d.meshTunnelPort, log: d.log.child({ component: 'mesh-tunnel' }) });
    this.taskNetworks = new TaskNetworks(d.networks);
  }

  /** After a daemon restart: rejoin the swarm this node was in. */
  async open(): Promise<void> {
    const saved = await this.files.load();
    if (!saved) return;
    this.state = saved.state;
    if (saved.state.role === 'manager') this.manager = await SwarmManager.open({ dir: this.files.dir, log: this.d.log.child({ component: 'manager' }), heartbeatPeriodMs: this.d.heartbeatPeriodMs });
    this.startAgent(saved.tls);
  }

  get active(): boolean {
    return this.state !== null;
  }

  requireManager(): SwarmManager {
    if (!this.manager) throw new NotSwarmManagerError();
    return this.manager;
  }

  async init(req: { ListenAddr?: string; AdvertiseAddr?: string; ForceNewCluster?: boolean }): Promise<string> {
    if (this.state) throw new SwarmStateError('This node is already part of a swarm. Use "flotilla swarm leave" to leave this swarm and join another one.', 503);
    const advertiseHost = () => defaultAdvertiseHost();
    const listenAddr = resolveAddr(req.ListenAddr || '0.0.0.0:2377', DEFAULT_CLUSTER_PORT, () => '0.0.0.0');
    let advertiseAddr: string;
    try {
      advertiseAddr = resolveAddr(req.AdvertiseAddr, Number(listenAddr.split(':').pop()), advertiseHost);
    } catch (e) {
      throw new SwarmStateError((e as Error).message, 400);
    }
    const executor = this.executor();
    this.manager = await SwarmManager.init({
      dir: this.files.dir,
      listenAddr,
      advertiseAddr,
      description: await executor.describe(),
      log: this.d.log.child({ component: 'manager' }),
      heartbeatPeriodMs: this.d.heartbeatPeriodMs,
    });
    this.state = this.manager.state;
    this.startAgent(this.manager.tls);
    // Like docker, `swarm init` returns once this node is a ready member that can take tasks.
    const m = this.manager;
    const deadline = Date.now() + 10_000;
    while (m.store.state.get('nodes', m.nodeId)?.Status.State !== 'ready' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return m.nodeId;
  }

  async join(req: { RemoteAddrs: string[]; JoinToken: string; ListenAddr?: string; AdvertiseAddr?: string }): Promise<void> {
    if (this.state) throw new SwarmStateError('This node is already part of a swarm. Use "flotilla swarm leave" to leave this swarm and join another one.', 503);
    const remote = req.RemoteAddrs?.[0];
    if (!remote) throw new SwarmStateError('no manager address given: flotilla swarm join --token <token> <manager-ip>:2377', 400);
    const listenAddr = resolveAddr(req.ListenAddr || '0.0.0.0:2377', DEFAULT_CLUSTER_PORT, () => '0.0.0.0');
    const advertiseAddr = resolveAddr(req.AdvertiseAddr, Number(listenAddr.split(':').pop()), () => defaultAdvertiseHost());
    const executor = this.executor();
    const desc = await executor.describe();
    const joined = await requestNodeCertificate({ managerAddr: remote.includes(':') ? remote : `${remote}:${DEFAULT_CLUSTER_PORT}`, token: req.JoinToken, hostname: desc.Hostname, advertiseAddr, description: desc });
    if (joined.role === 'manager') throw new SwarmStateError('joining as a manager needs multi-manager support (issue 5); join with the worker token', 501);
    const state: NodeState = { nodeId: joined.nodeId, clusterId: joined.clusterId, role: 'worker', listenAddr, advertiseAddr, managers: [remote.includes(':') ? remote : `${remote}:${DEFAULT_CLUSTER_PORT}`] };
    await this.files.save(state, joined.tls);
    this.state = state;
    this.startAgent(joined.tls);
  }

  async leave(force: boolean): Promise<void> {
    if (!this.state) throw new SwarmStateError('This node is not part of a swarm', 503);
    if (this.manager && !force) {
      throw new SwarmStateError(
        'You are attempting to leave the swarm on a node that is participating as a manager. Removing the last manager erases all current state of the swarm. Use `--force` to ignore this message.',
        503,
      );
    }
    await this.agent?.stop({ shutdownTasks: true });
    this.agent = null;
    await this.meshCtl.close();
    await this.meshTunnel.stop();
    await this.manager?.stop();
    this.manager = null;
    this.state = null;
    await rm(this.files.dir, { recursive: true, force: true });
  }

  private executor(): EngineExecutor {
    return new EngineExecutor({
      containers: this.d.containers,
      images: this.d.images,
      registry: this.d.registry,
      serviceName: (t) => t.ServiceAnnotations?.Name ?? t.ServiceID,
      network: (t) => this.taskNetworks.forTask(t),
      engineVersion: this.d.engineVersion,
      hostname: this.d.hostname,
      log: this.d.log,
    });
  }

  private startAgent(tls: NodeTls): void {
    const managers = this.state!.role === 'manager' ? [this.state!.advertiseAddr.replace(/^0\.0\.0\.0:/, '127.0.0.1:')] : this.state!.managers;
    this.agent = new Agent({
      managers,
      credentials: channelCredentials(tls),
      serverName: NODE_TLS_NAME,
      executor: this.executor(),
      log: this.d.log.child({ component: 'agent' }),
      onMesh: (view) => this.meshCtl.update(view),
      meshTunnelPort: () => this.meshTunnel.start(tls, this.state!.clusterId),
    });
    this.agent.start();
  }

  /**
   * `service logs`: the log lines of every task of the service that ran on this node, each
   * prefixed like docker's `web.1.<task>@<node>    | `, merged as they come (follow keeps going).
   * Tasks on other nodes join with the multi-node work (issue 5).
   */
  async *serviceLogs(ref: string, opts: { follow?: boolean; tail?: number; timestamps?: boolean; signal?: AbortSignal }): AsyncGenerator<{ stream: 'stdout' | 'stderr'; line: string }> {
    const m = this.requireManager();
    const svc = m.services.inspect(ref);
    const host = (id?: string) => m.store.state.get('nodes', id ?? '')?.Description.Hostname ?? id ?? '';
    const tasks = m.store.state.list('tasks').filter((t) => t.ServiceID === svc.ID && t.Status.ContainerStatus?.ContainerID);
    const queue: { stream: 'stdout' | 'stderr'; line: string }[] = [];
    let wake: (() => void) | null = null;
    let open = 0;
    const pump = async (t: (typeof tasks)[number]) => {
      const prefix = `${svc.Spec.Name}.${t.Slot ?? t.NodeID}.${t.ID.slice(0, 12)}@${host(t.NodeID)}    | `;
      try {
        const entries = await this.d.containers.logs(t.Status.ContainerStatus!.ContainerID!, { stdout: true, stderr: true, follow: opts.follow, tail: opts.tail, signal: opts.signal });
        for await (const e of entries) {
          queue.push({ stream: e.stream, line: `${prefix}${opts.timestamps ? `${e.time} ` : ''}${e.line.endsWith('\n') ? e.line : `${e.line}\n`}` });
          wake?.();
        }
      } catch {
        // The task's container is gone (removed with old task history): nothing to show.
      } finally {
        open--;
        wake?.();
      }
    };
    open = tasks.length;
    for (const t of tasks) void pump(t);
    while (open > 0 || queue.length) {
      if (queue.length) {
        yield queue.shift()!;
        continue;
      }
      await new Promise<void>((r) => (wake = r));
      wake = null;
    }
  }

  /** The Swarm section of GET /info. */
  info(): Record<string, unknown> {
    if (!this.state) return { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null };
    const m = this.manager;
    const nodes = m?.store.state.list('nodes') ?? [];
    return {
      NodeID: this.state.nodeId,
      NodeAddr: this.state.advertiseAddr.split(':')[0],
      LocalNodeState: 'active',
      ControlAvailable: !!m,
      Error: '',
      RemoteManagers: [{ NodeID: m ? m.nodeId : '', Addr: this.state.role === 'manager' ? this.state.advertiseAddr : this.state.managers[0] }],
      ...(m ? { Nodes: nodes.length, Managers: nodes.filter((n) => n.Spec.Role === 'manager').length, Cluster: { ID: this.state.clusterId } } : {}),
    };
  }

  async close(): Promise<void> {
    await this.agent?.stop();
    await this.meshCtl.close();
    await this.meshTunnel.stop();
    await this.mesh.close();
    await this.manager?.stop();
  }
}
