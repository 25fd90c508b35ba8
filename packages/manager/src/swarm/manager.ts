import * as grpc from '@grpc/grpc-js';
import { rm } from 'node:fs/promises';
import { componentLogger, type Logger } from '@flotilla/engine-core';
import { callerIdentity } from '../dispatcher/identity';
import { createNodeKeyAndCsr, RootCA } from '../ca/authority';
import { formatJoinToken, newSecret } from '../ca/tokens';
import { Dispatcher } from '../dispatcher/dispatcher';
import { Orchestrator } from '../orchestrator/orchestrator';
import { RaftNode, Role } from '../raft';
import { SchedulerLoop } from '../scheduler/loop';
import { newId, Store, type ApplyResult } from '../store/store';
import type { Node } from '../store/types';
import { ServiceApi } from '../api/services';
import { CaService } from './ca-service';
import { CLUSTER_OBJECT_ID, clusterSecrets } from './cluster';
import { serverCredentials, channelCredentials, type NodeTls } from './credentials';
import { SwarmStateFiles, type NodeState } from './node-state';
import { RaftProposer, storeStateMachine } from './raft-store';

export interface SwarmManagerOptions {
  /** <data-root>/swarm */
  dir: string;
  log?: Logger;
  heartbeatPeriodMs?: number;
}

export interface InitOptions extends SwarmManagerOptions {
  /** Where swarm networks get their subnets (checked by the caller: checkAddrPool). */
  DefaultAddrPool?: string[];
  SubnetSize?: number;
  listenAddr: string;
  advertiseAddr: string;
  description: Node['Description'];
}

/** This node is not a manager (or not in a swarm at all): docker's text. */
export class NotSwarmManagerError extends Error {
  readonly status = 503;
  constructor() {
    super('This node is not a swarm manager. Use "flotilla swarm init" or "flotilla swarm join" to connect this node to swarm and try again.');
    this.name = 'NotSwarmManagerError';
  }
}

/**
 * A manager node: the Raft log of cluster state, the store over it, and the leader's loops
 * (orchestrator, scheduler, dispatcher) plus the CA, served over gRPC with mutual TLS.
 */
export class SwarmManager {
  readonly store: Store;
  readonly services: ServiceApi;
  private raft!: RaftNode<ApplyResult>;
  /** One port for everything a manager serves: Raft, the dispatcher and the CA. */
  private readonly server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
  private bound = false;
  private orchestrator: Orchestrator | null = null;
  private scheduler: SchedulerLoop | null = null;
  private readonly dispatcher: Dispatcher;
  private readonly log: Logger;
  boundPort = 0;

  private constructor(readonly o: SwarmManagerOptions, readonly state: NodeState, readonly tls: NodeTls) {
    this.log = o.log ?? componentLogger('manager', { node: state.nodeId });
    this.store = new Store(new RaftProposer(() => this.raft));
    this.services = new ServiceApi(this.store);
    this.dispatcher = new Dispatcher(this.store, {
      clusterId: state.clusterId,
      heartbeatPeriodMs: o.heartbeatPeriodMs,
      managers: () => [{ nodeId: state.nodeId, addr: state.advertiseAddr }],
      log: this.log,
    });
    this.dispatcher.register(this.server);
    new CaService(this.store, state.clusterId).register(this.server);
  }

  /** `swarm init`: a new cluster with this node as its first manager (Raft of one voter). */
  static async init(o: InitOptions): Promise<SwarmManager> {
    const files = new SwarmStateFiles(o.dir);
    const ca = await RootCA.create();
    const nodeId = newId();
    const clusterId = newId();
    const { keyPem, csrPem } = await createNodeKeyAndCsr();
    const certPem = await ca.issue(csrPem, { nodeId, role: 'swarm-manager', clusterId });
    const state: NodeState = { nodeId, clusterId, role: 'manager', listenAddr: o.listenAddr, advertiseAddr: o.advertiseAddr, managers: [o.advertiseAddr] };
    const tls = { caCertPem: ca.certPem, keyPem, certPem };
    const m = new SwarmManager(o, state, tls);
    try {
      // Bind first: a port in use must fail `swarm init` before anything is written.
      await m.serve();
      await files.save(state, tls);
      await m.startRaft(true);
      await m.waitLeader();
    } catch (e) {
      await m.stop().catch(() => undefined);
      await rm(o.dir, { recursive: true, force: true });
      throw e;
    }
    const at = new Date().toISOString();
    await m.store.update((tx) => {
      tx.create('clusters', {
        ID: CLUSTER_OBJECT_ID,
        Version: { Index: 0 },
        CreatedAt: at,
        UpdatedAt: at,
        Spec: { Name: 'default', Orchestration: { TaskHistoryRetentionLimit: 5 }, Dispatcher: { HeartbeatPeriod: (o.heartbeatPeriodMs ?? 1000) * 1e6 } },
        ...(o.DefaultAddrPool ? { DefaultAddrPool: o.DefaultAddrPool, SubnetSize: o.SubnetSize } : {}),
        Data: { clusterId, caCertPem: ca.certPem, caKeyPem: ca.keyPem, workerSecret: newSecret(), managerSecret: newSecret() },
      });
      tx.create('nodes', {
        ID: nodeId,
        Version: { Index: 0 },
        CreatedAt: at,
        UpdatedAt: at,
        Spec: { Labels: {}, Role: 'manager', Availability: 'active' },
        Description: o.description,
        Status: { State: 'unknown', Addr: o.advertiseAddr.split(':')[0] ?? '' },
        ManagerStatus: { Leader: true, Reachability: 'reachable', Addr: o.advertiseAddr },
      });
    });
    return m;
  }

  /** A daemon restart: the node's certificates and Raft log are on disk. */
  static async open(o: SwarmManagerOptions): Promise<SwarmManager | null> {
    const saved = await new SwarmStateFiles(o.dir).load();
    if (!saved || saved.state.role !== 'manager') return null;
    const m = new SwarmManager(o, saved.state, saved.tls);
    await m.serve();
    await m.startRaft(false);
    // The only voter need not wait out an election timeout after a restart.
    const st = m.raft.status();
    if (st.members.filter((x) => x.voter).length === 1 && st.members[0]?.id === saved.state.nodeId) m.raft.campaign();
    return m;
  }

  get nodeId(): string {
    return this.state.nodeId;
  }

  get isLeader(): boolean {
    return this.raft.status().role === Role.Leader;
  }

  raftStatus() {
    return this.raft.status();
  }

  joinToken(role: 'worker' | 'manager'): string {
    const s = clusterSecrets(this.store.state.get('clusters', CLUSTER_OBJECT_ID));
    const ca = s.caCertPem;
    const der = Buffer.from(ca.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    return formatJoinToken(der, role === 'worker' ? s.workerSecret : s.managerSecret);
  }

  async rotateJoinToken(role: 'worker' | 'manager'): Promise<void> {
    await this.store.update((tx) => {
      const c = tx.get('clusters', CLUSTER_OBJECT_ID)!;
      tx.update('clusters', { ...c, Data: { ...c.Data, [role === 'worker' ? 'workerSecret' : 'managerSecret']: newSecret() } });
    });
  }

  /** Linearizable read barrier before serving a read (the store is then up to date). */
  async barrier(): Promise<void> {
    await this.raft.read({ timeoutMs: 5000 });
  }

  private async startRaft(bootstrap: boolean): Promise<void> {
    this.raft = await RaftNode.start<ApplyResult>({
      id: this.state.nodeId,
      dataDir: new SwarmStateFiles(this.o.dir).raftDir,
      listen: this.state.listenAddr,
      server: this.server,
      advertise: this.state.advertiseAddr,
      // Only managers take part in Raft: a worker's certificate is refused here.
      authorize: (call) => {
        if (callerIdentity(call, this.state.clusterId).role !== 'swarm-manager') throw new Error('only managers may send Raft messages');
      },
      peers: {},
      bootstrap,
      stateMachine: storeStateMachine(() => this.store),
      serverCredentials: serverCredentials(this.tls),
      channelCredentials: channelCredentials(this.tls),
      logger: this.log,
    });
    this.raft.on('leader', (leader) => this.onLeader(leader));
    this.onLeader(this.raft.status().leader);
  }

  private async waitLeader(timeoutMs = 5000): Promise<void> {
    const t0 = Date.now();
    while (this.raft.status().leader === null) {
      if (Date.now() - t0 > timeoutMs) throw new Error('no Raft leader elected');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** The leader runs the loops that write: orchestrator, scheduler, dispatcher. */
  private onLeader(leader: string | null): void {
    const lead = leader === this.state.nodeId;
    if (lead && !this.orchestrator) {
      this.orchestrator = new Orchestrator(this.store, { log: this.log });
      this.scheduler = new SchedulerLoop(this.store, { log: this.log });
      this.orchestrator.start();
      this.scheduler.start();
      this.dispatcher.start();
    } else if (!lead && this.orchestrator) {
      this.orchestrator.stop();
      this.scheduler?.stop();
      this.dispatcher.stop();
      this.orchestrator = null;
      this.scheduler = null;
    }
  }

  private async serve(): Promise<void> {
    // Joining nodes have no certificate yet: the CA's join call is open, every other call checks one.
    this.boundPort = await new Promise<number>((res, rej) =>
      this.server.bindAsync(this.state.listenAddr, serverCredentials(this.tls, false), (e, p) => (e ? rej(new Error(`cannot listen on ${this.state.listenAddr}: ${e.message}`)) : res(p))),
    );
    this.bound = true;
  }

  async stop(): Promise<void> {
    this.orchestrator?.stop();
    this.scheduler?.stop();
    this.dispatcher.stop();
    this.orchestrator = null;
    this.scheduler = null;
    await this.raft?.stop();
    if (this.bound) this.server.forceShutdown();
    this.bound = false;
  }
}

