import * as grpc from '@grpc/grpc-js';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { componentLogger, type Logger } from '@flotilla/engine-core';
import { DurableStorage, LeadershipLostError, RaftNode, raftService, Role, wrapSnapshot } from '@flotilla/raft';
import { callerIdentity } from '../dispatcher/identity';
import { swarmServices } from '../dispatcher/proto';
import { createNodeKeyAndCsr, RootCA } from '../ca/authority';
import { formatJoinToken, newSecret } from '../ca/tokens';
import { Dispatcher } from '../dispatcher/dispatcher';
import { Orchestrator } from '../orchestrator/orchestrator';
import { SchedulerLoop } from '../scheduler/loop';
import { newId, Store, type ApplyResult } from '../store/store';
import type { Node } from '../store/types';
import { ServiceApi } from '../api/services';
import { CaService } from './ca-service';
import { CLUSTER_OBJECT_ID, clusterSecrets } from './cluster';
import { serverCredentials, channelCredentials, NodeCertificates, type NodeTls } from './credentials';
import { MembershipError, NoLeaderError } from './errors';
import { callLeader, registerMembership } from './membership-service';
import { SwarmStateFiles, type NodeState } from './node-state';
import { canRemoveMember, reachabilityOf, settledQuorumCheck, type Reachability } from './quorum';
import { RaftProposer, storeStateMachine } from './raft-store';

export interface SwarmManagerOptions {
  /** <data-root>/swarm */
  dir: string;
  log?: Logger;
  heartbeatPeriodMs?: number;
  /**
   * The node's cluster listener (one gRPC server per node, started with the node's TLS on
   * `listenAddr`); the manager adds Raft, the dispatcher, the CA and RaftMembership to it and
   * removes them when it stops. Without it the manager binds a server of its own.
   */
  nodeServer?: (tls: NodeTls, listenAddr: string) => Promise<grpc.Server>;
}

export interface InitOptions extends SwarmManagerOptions {
  /** Where swarm networks get their subnets (checked by the caller: checkAddrPool). */
  DefaultAddrPool?: string[];
  SubnetSize?: number;
  listenAddr: string;
  advertiseAddr: string;
  description: Node['Description'];
}

export interface JoinManagerOptions extends SwarmManagerOptions {
  /** This node's identity (role manager) and the certificate the CA issued for it. */
  state: NodeState;
  tls: NodeTls;
  /** Managers to ask for membership (any of them: followers redirect to the leader). */
  remotes: string[];
  timeoutMs?: number;
}

/** This node is not a manager (or not in a swarm at all): docker's text. */
export class NotSwarmManagerError extends Error {
  readonly status = 503;
  constructor(opts: { worker?: boolean } = {}) {
    super(
      opts.worker
        ? "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state. Please run this command on a manager node or promote the current node to a manager."
        : 'This node is not a swarm manager. Use "flotilla swarm init" or "flotilla swarm join" to connect this node to swarm and try again.',
    );
    this.name = 'NotSwarmManagerError';
  }
}

/** Leader election: 25 ms ticks, a new election after 400-800 ms of silence (the 2 s failover goal). */
const TICK_MS = 25;
const ELECTION_TICKS = 16;
/** The leader calls a manager reachable when Raft heard from it within this long. */
const ACTIVE_WINDOW_MS = 1500;

/**
 * A manager node: the Raft log of cluster state, the store over it, and the leader's loops
 * (orchestrator, scheduler, dispatcher) plus the CA, served over gRPC with mutual TLS. Every
 * manager answers the API: reads from its replica, writes through Raft (forwarded to the leader).
 */
export class SwarmManager {
  readonly store: Store;
  readonly services: ServiceApi;
  private raft!: RaftNode<ApplyResult>;
  private server: grpc.Server | null = null;
  private ownServer = false;
  private orchestrator: Orchestrator | null = null;
  private scheduler: SchedulerLoop | null = null;
  private readonly dispatcher: Dispatcher;
  private readonly log: Logger;
  private readonly lastActive = new Map<string, number>();
  private sampler: NodeJS.Timeout | null = null;
  private peerSaver: NodeJS.Timeout | null = null;
  private leaderSince = 0;
  private stopped = false;
  boundPort = 0;

  /** This node's certificate; a renewal replaces it in place for Raft's channels (`updateTls`). */
  private readonly certs: NodeCertificates;

  get tls(): NodeTls {
    return this.certs.tls;
  }

  /** A renewed certificate: Raft's next handshakes present it. */
  updateTls(tls: NodeTls): void {
    this.certs.update(tls);
  }

  private constructor(
    readonly o: SwarmManagerOptions,
    readonly state: NodeState,
    tls: NodeTls,
  ) {
    this.certs = new NodeCertificates(tls);
    this.log = o.log ?? componentLogger('manager', { node: state.nodeId });
    this.store = new Store(new RaftProposer(() => this.raft));
    this.services = new ServiceApi(this.store);
    this.dispatcher = new Dispatcher(this.store, {
      clusterId: state.clusterId,
      heartbeatPeriodMs: o.heartbeatPeriodMs,
      managers: () => this.managers(),
      leaderAddr: () => this.raft?.status().leaderAddress ?? null,
      log: this.log,
    });
  }

  /** `swarm init`: a new cluster with this node as its first manager (Raft of one voter). */
  static async init(o: InitOptions): Promise<SwarmManager> {
    const files = new SwarmStateFiles(o.dir);
    const ca = await RootCA.create();
    const nodeId = newId();
    const clusterId = newId();
    const { keyPem, csrPem } = await createNodeKeyAndCsr();
    const certPem = await ca.issue(csrPem, { nodeId, role: 'swarm-manager', clusterId });
    const state: NodeState = {
      nodeId,
      clusterId,
      role: 'manager',
      listenAddr: o.listenAddr,
      advertiseAddr: o.advertiseAddr,
      managers: [o.advertiseAddr],
    };
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
        Spec: {
          Name: 'default',
          Orchestration: { TaskHistoryRetentionLimit: 5 },
          Dispatcher: { HeartbeatPeriod: (o.heartbeatPeriodMs ?? 1000) * 1e6 },
        },
        ...(o.DefaultAddrPool ? { DefaultAddrPool: o.DefaultAddrPool, SubnetSize: o.SubnetSize } : {}),
        Data: {
          clusterId,
          caCertPem: ca.certPem,
          caKeyPem: ca.keyPem,
          workerSecret: newSecret(),
          managerSecret: newSecret(),
        },
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

  /**
   * Joins an existing cluster as a manager (`swarm join` with the manager token, or a promotion):
   * an empty Raft log, no bootstrap; the leader adds this node as a learner, lets it catch up and
   * makes it a voter. Resolves once this node's replica holds the cluster.
   */
  static async join(o: JoinManagerOptions): Promise<SwarmManager> {
    const files = new SwarmStateFiles(o.dir);
    const m = new SwarmManager(o, o.state, o.tls);
    try {
      await rm(files.raftDir, { recursive: true, force: true });
      await m.serve();
      await files.save(o.state, o.tls);
      const timeoutMs = o.timeoutMs ?? 60_000;
      const { members } = await callLeader<{ members: { nodeId: string; addr: string }[] }>(
        o.remotes,
        channelCredentials(o.tls),
        'Members',
        {},
        timeoutMs,
      );
      await m.startRaft(
        false,
        Object.fromEntries(members.filter((x) => x.nodeId !== o.state.nodeId).map((x) => [x.nodeId, x.addr])),
      );
      await callLeader(o.remotes, channelCredentials(o.tls), 'Join', { addr: o.state.advertiseAddr }, timeoutMs);
      const t0 = Date.now();
      while (!m.store.state.get('clusters', CLUSTER_OBJECT_ID) || !m.store.state.get('nodes', o.state.nodeId)) {
        if (Date.now() - t0 > timeoutMs) throw new Error('joined the Raft cluster but the swarm state did not arrive');
        await new Promise((r) => setTimeout(r, 20));
      }
    } catch (e) {
      await m.stop().catch(() => undefined);
      throw e;
    }
    return m;
  }

  /** A daemon restart: the node's certificates and Raft log are on disk. */
  static async open(o: SwarmManagerOptions): Promise<SwarmManager | null> {
    const saved = await new SwarmStateFiles(o.dir).load();
    if (!saved || saved.state.role !== 'manager') return null;
    const m = new SwarmManager(o, saved.state, saved.tls);
    await m.serve();
    await m.startRaft(false, await m.loadPeers());
    // The only voter need not wait out an election timeout after a restart.
    const st = m.raft.status();
    if (st.members.filter((x) => x.voter).length === 1 && st.members[0]?.id === saved.state.nodeId) m.raft.campaign();
    return m;
  }

  /**
   * `swarm init --force-new-cluster`: the cluster lost its quorum for good. This manager's state
   * (everything committed that it applied) becomes the snapshot of a new Raft log whose only
   * voter is this node; the other managers are demoted in the store (their nodes stay, down, for
   * `node rm`). Returns the manager running on the new log; this one is stopped.
   */
  async forceNewCluster(): Promise<SwarmManager> {
    const st = this.raft.status();
    const data = wrapSnapshot({ [this.nodeId]: this.state.advertiseAddr }, this.store.snapshot());
    await this.stop();
    const raftDir = new SwarmStateFiles(this.o.dir).raftDir;
    await rm(raftDir, { recursive: true, force: true });
    const storage = await DurableStorage.open(raftDir, { log: this.log });
    try {
      await storage.saveReady({ term: st.term, vote: null, commit: st.applied }, [], {
        meta: { index: st.applied, term: st.term, conf: { voters: [this.nodeId], learners: [] } },
        data,
      });
    } finally {
      await storage.close();
    }
    const m = (await SwarmManager.open(this.o))!;
    await m.waitLeader();
    await m.store.update((tx) => {
      for (const n of tx.list('nodes')) {
        if (n.ID === m.nodeId || n.Spec.Role !== 'manager') continue;
        const { ManagerStatus: _gone, ...rest } = n;
        void _gone;
        tx.update('nodes', { ...rest, Spec: { ...n.Spec, Role: 'worker' } });
      }
    });
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

  /** Raft voters with their addresses, the leader first (what workers may fail over to). */
  managers(): { nodeId: string; addr: string }[] {
    if (!this.raft) return [{ nodeId: this.nodeId, addr: this.state.advertiseAddr }];
    const st = this.raft.status();
    return st.members
      .filter((m) => m.voter && m.address)
      .sort((a, b) => Number(b.id === st.leader) - Number(a.id === st.leader))
      .map((m) => ({ nodeId: m.id, addr: m.address! }));
  }

  /** Docker's Node.ManagerStatus as this manager sees it now (undefined for workers). */
  managerStatus(n: Node): Node['ManagerStatus'] {
    if (n.Spec.Role !== 'manager') return undefined;
    const st = this.raft.status();
    const member = st.members.find((m) => m.id === n.ID);
    return {
      ...(n.ID === st.leader ? { Leader: true } : {}),
      Reachability: this.reachability(n.ID, n),
      Addr: member?.address ?? n.ManagerStatus?.Addr ?? '',
    };
  }

  private reachability(id: string, n?: Node): Reachability {
    const st = this.raft.status();
    const seen = this.lastActive.get(id);
    return reachabilityOf(id, st, {
      activeRecently: seen !== undefined && Date.now() - seen < ACTIVE_WINDOW_MS,
      nodeDown: (n ?? this.store.state.get('nodes', id))?.Status.State === 'down',
    });
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
      tx.update('clusters', {
        ...c,
        Data: { ...c.Data, [role === 'worker' ? 'workerSecret' : 'managerSecret']: newSecret() },
      });
    });
  }

  /** Linearizable read barrier before serving a read (the store is then up to date). */
  async barrier(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (this.raft.status().leader === null) throw new NoLeaderError();
      try {
        await this.raft.read({ timeoutMs: 5000 });
        return;
      } catch (e) {
        if (this.raft.status().leader === null) throw new NoLeaderError({ cause: e });
        // The leader changed while the read was pending: ask the new one.
        if (!(e instanceof LeadershipLostError) || attempt >= 2) throw e;
      }
    }
  }

  /**
   * Adds a manager to Raft (leader only): a learner first, a voter once it caught up. Resolves
   * with the members afterwards.
   */
  async addManager(nodeId: string, addr: string): Promise<{ nodeId: string; addr: string }[]> {
    const n = this.store.state.get('nodes', nodeId);
    if (!n || n.Spec.Role !== 'manager')
      throw new MembershipError(
        `node ${nodeId} is not a manager of this swarm: join with the manager token or promote it first`,
      );
    await this.raft.addMember(nodeId, addr, { timeoutMs: 60_000 });
    return this.managers();
  }

  /**
   * Removes a manager from Raft; refused like docker when it is the last manager or when the
   * remaining reachable managers would not make a quorum. Any manager may ask: a follower asks
   * the leader; the leader hands leadership over before removing itself.
   */
  async removeManager(nodeId: string): Promise<void> {
    const st = this.raft.status();
    if (!st.members.some((m) => m.id === nodeId)) return;
    if (st.role !== Role.Leader) {
      if (st.leader === null) throw new NoLeaderError();
      await callLeader(
        [st.leaderAddress ?? '', ...this.managers().map((m) => m.addr)].filter(Boolean),
        channelCredentials(this.tls),
        'Leave',
        { nodeId },
        15_000,
      );
      return;
    }
    const voters = st.members.filter((m) => m.voter);
    if (voters.length === 1 && voters[0]!.id === nodeId)
      throw new MembershipError('attempting to demote the last manager of the swarm');
    const quorumKept = () =>
      canRemoveMember(
        voters.map((v) => ({ id: v.id, reachable: this.reachability(v.id) === 'reachable' })),
        nodeId,
      );
    const isLeader = () => this.raft.status().role === Role.Leader;
    const kept = await settledQuorumCheck({
      quorumKept,
      isLeader,
      leaderAgeMs: () => Date.now() - this.leaderSince,
      windowMs: ACTIVE_WINDOW_MS,
      pollMs: TICK_MS,
    });
    if (!isLeader()) return this.removeManager(nodeId);
    if (!kept) throw new MembershipError("can't remove member from the raft: this would result in a loss of quorum");
    if (nodeId === this.nodeId) {
      const to = voters.find((v) => v.id !== nodeId && this.reachability(v.id) === 'reachable')!;
      this.raft.transferLeadership(to.id);
      const t0 = Date.now();
      while (this.raft.status().role === Role.Leader) {
        if (Date.now() - t0 > 5000) throw new NoLeaderError();
        await new Promise((r) => setTimeout(r, 10));
      }
      await this.removeManager(nodeId);
      return;
    }
    await this.raft.removeMember(nodeId, { timeoutMs: 10_000 });
  }

  /**
   * The members' addresses as last seen, kept beside the log: a founding member's address is in
   * no membership entry, so a restarted follower would otherwise not know where to answer it.
   */
  private get peersFile(): string {
    return join(this.o.dir, 'raft-peers.json');
  }

  private async loadPeers(): Promise<Record<string, string>> {
    try {
      const all = JSON.parse(await readFile(this.peersFile, 'utf8')) as Record<string, string>;
      delete all[this.nodeId];
      return all;
    } catch {
      return {};
    }
  }

  private savedPeers = '';

  private savePeers(): void {
    const json = JSON.stringify(
      Object.fromEntries(
        this.raft
          .status()
          .members.filter((m) => m.address)
          .map((m) => [m.id, m.address]),
      ),
    );
    if (json === this.savedPeers || this.stopped) return;
    this.savedPeers = json;
    void writeFile(`${this.peersFile}.tmp`, json)
      .then(() => rename(`${this.peersFile}.tmp`, this.peersFile))
      .catch((e: Error) => this.log.warn({ err: e }, "cannot save the Raft members' addresses"));
  }

  private async startRaft(bootstrap: boolean, peers: Record<string, string> = {}): Promise<void> {
    this.raft = await RaftNode.start<ApplyResult>({
      id: this.state.nodeId,
      dataDir: new SwarmStateFiles(this.o.dir).raftDir,
      listen: this.state.listenAddr,
      server: this.server!,
      advertise: this.state.advertiseAddr,
      // Only managers take part in Raft: a worker's certificate is refused here.
      authorize: (call) => {
        const id = callerIdentity(call, this.state.clusterId);
        if (id.role !== 'swarm-manager') throw new Error('only managers may send Raft messages');
        // A manager demoted meanwhile (or left behind by --force-new-cluster) still holds a manager
        // certificate: the store says it is no longer one. (A node this replica does not know yet may
        // be the leader feeding a joining manager its first entries.)
        const n = this.store.state.get('nodes', id.nodeId);
        if (n && n.Spec.Role !== 'manager') throw new Error(`node ${id.nodeId} is no longer a manager of this swarm`);
      },
      peers,
      bootstrap,
      tickMs: TICK_MS,
      electionTicks: ELECTION_TICKS,
      stateMachine: storeStateMachine(() => this.store),
      serverCredentials: serverCredentials(this.tls),
      channelCredentials: this.certs.managerChannel(this.state.clusterId),
      log: this.log,
    });
    this.raft.on('leader', (leader) => this.onLeader(leader));
    this.onLeader(this.raft.status().leader);
    this.peerSaver = setInterval(() => this.savePeers(), 1000);
    this.peerSaver.unref();
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
    if (this.stopped) return;
    const lead = leader === this.state.nodeId;
    if (lead && !this.orchestrator) {
      this.orchestrator = new Orchestrator(this.store, { log: this.log });
      this.scheduler = new SchedulerLoop(this.store, { log: this.log });
      this.orchestrator.start();
      this.scheduler.start();
      this.dispatcher.start();
      this.lastActive.clear();
      this.leaderSince = Date.now();
      this.sampler = setInterval(() => this.sampleActivity(), TICK_MS * 2);
      this.sampler.unref();
    } else if (!lead && this.orchestrator) {
      this.orchestrator.stop();
      this.scheduler?.stop();
      this.dispatcher.stop();
      this.orchestrator = null;
      this.scheduler = null;
      if (this.sampler) clearInterval(this.sampler);
      this.sampler = null;
    }
  }

  /** Raft resets its per-member activity every election timeout: remember when each was last active. */
  private sampleActivity(): void {
    const progress = this.raft.status().progress ?? {};
    const now = Date.now();
    for (const [id, pr] of Object.entries(progress)) if (pr.recentActive) this.lastActive.set(id, now);
  }

  private async serve(): Promise<void> {
    if (this.o.nodeServer) {
      this.server = await this.o.nodeServer(this.tls, this.state.listenAddr);
    } else {
      // Joining nodes have no certificate yet: the CA's join call is open, every other call checks one.
      const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
      this.boundPort = await new Promise<number>((res, rej) =>
        server.bindAsync(this.state.listenAddr, serverCredentials(this.tls, false), (e, p) =>
          e ? rej(new Error(`cannot listen on ${this.state.listenAddr}: ${e.message}`)) : res(p),
        ),
      );
      this.server = server;
      this.ownServer = true;
    }
    this.dispatcher.register(this.server);
    new CaService(this.store, this.state.clusterId, { barrier: () => this.barrier() }).register(this.server);
    registerMembership(this.server, {
      clusterId: this.state.clusterId,
      redirect: () => (this.raft && this.isLeader ? null : (this.raft?.status().leaderAddress ?? '')),
      addManager: (id, addr) => this.addManager(id, addr),
      removeManager: (id) => this.removeManager(id),
      members: () => this.managers(),
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.orchestrator?.stop();
    this.scheduler?.stop();
    this.dispatcher.stop();
    if (this.sampler) clearInterval(this.sampler);
    if (this.peerSaver) clearInterval(this.peerSaver);
    this.orchestrator = null;
    this.scheduler = null;
    await this.raft?.stop();
    if (this.server && this.ownServer) this.server.forceShutdown();
    else if (this.server) {
      // The node's listener stays (node services, the worker this node becomes): take ours off it.
      const s = swarmServices();
      for (const svc of [s.Dispatcher.service, s.CA.service, s.RaftMembership.service, raftService().service])
        this.server.removeService(svc);
    }
    this.server = null;
  }
}
