// A manager node: Raft, the store over it, the control API, the leader's loops and the gRPC
// services (dispatcher, CA, membership). The composition root of the manager package.
import type * as grpc from '@grpc/grpc-js';
import { rm } from 'node:fs/promises';
import { silentLogger, type Logger } from '@flotilla/engine-core';
import { createNodeKeyAndCsr, RootCA } from '../ca/authority';
import { Dispatcher } from '../dispatcher/dispatcher';
import { LeadershipLostError, RaftNode, Role } from '@flotilla/raft';
import { newId, Store, type ApplyResult } from '../store/store';
import type { Node } from '../store/types';
import { ClusterApi, ConfigApi, NodeApi, SecretApi, ServiceApi, TaskApi } from '../controlapi';
import { CaService } from './ca-service';
import { managersOnly } from './raft-authorize';
import { followAutolock, type AutolockFollower } from './autolock';
import { dataKeyCipher } from './data-key';
import { demoteOtherManagers, writeBootstrapObjects } from './bootstrap';
import { CLUSTER_OBJECT_ID } from './cluster';
import { serverCredentials, channelCredentials, NodeCertificates, type NodeTls } from './credentials';
import { MembershipError, NoLeaderError, NotSwarmManagerError } from './errors';
import { LeaderLoops } from './leader-loops';
import { bindManagerServer, removeManagerServices } from './listener';
import { callLeader, registerMembership } from './membership-service';
import { leaderWithin } from './leader-wait';
import { writeSingleVoterLog } from './new-cluster';
import { SwarmStateFiles, type NodeState } from './node-state';
import type { InitOptions, JoinManagerOptions, SwarmManagerOptions } from './options';
import { removeRaftMember } from './member-removal';
import { reachabilityOf, type Reachability } from './quorum';
import { RaftPeersFile } from './raft-peers';
import { RaftProposer, storeStateMachine } from './raft-store';

/** Leader election: 25 ms ticks, a new election after 400-800 ms of silence (the 2 s failover goal). */
const TICK_MS = 25;
const ELECTION_TICKS = 16;
/** The leader calls a manager reachable when Raft heard from it within this long. */
const ACTIVE_WINDOW_MS = 1500;

/**
 * A manager node: the Raft log of cluster state, the store over it, the leader's loops and the CA,
 * over gRPC with mutual TLS. Every manager answers the API: reads from its replica, writes through Raft.
 */
export class SwarmManager {
  readonly store: Store;
  /** The control API over this manager's store (what the daemon's swarm routes call). */
  readonly services: ServiceApi;
  readonly nodes: NodeApi;
  readonly tasks: TaskApi;
  readonly secrets: SecretApi;
  readonly configs: ConfigApi;
  readonly cluster: ClusterApi;
  private raft!: RaftNode<ApplyResult>;
  private server: grpc.Server | null = null;
  private ownServer = false;
  private readonly dispatcher: Dispatcher;
  private readonly loops: LeaderLoops;
  private readonly peers: RaftPeersFile;
  private readonly autolock: AutolockFollower;
  private readonly log: Logger;
  private peerSaver: NodeJS.Timeout | null = null;
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
    this.log = o.log ?? silentLogger;
    this.store = new Store(new RaftProposer(() => this.raft));
    this.services = new ServiceApi(this.store);
    this.tasks = new TaskApi(this.store);
    this.secrets = new SecretApi(this.store);
    this.configs = new ConfigApi(this.store);
    this.autolock = followAutolock(this.store, new SwarmStateFiles(o.dir).keys, this.log);
    this.cluster = new ClusterApi(this.store, state.clusterId, () => this.autolock.settled());
    this.nodes = new NodeApi(this.store, {
      selfId: state.nodeId,
      isRaftMember: (id) => this.raft.status().members.some((x) => x.id === id),
      managerStatus: (n) => this.managerStatus(n),
      removeManager: (id) => this.removeManager(id),
      barrier: () => this.barrier(),
    });
    this.dispatcher = new Dispatcher(this.store, {
      clusterId: state.clusterId,
      heartbeatPeriodMs: o.heartbeatPeriodMs,
      managers: () => this.managers(),
      leaderAddr: () => this.raft?.status().leaderAddress ?? null,
      log: this.log.child({ component: 'dispatcher' }),
    });
    this.loops = new LeaderLoops(this.store, this.dispatcher, {
      log: this.log,
      raftStatus: () => this.raft.status(),
      sampleEveryMs: TICK_MS * 2,
    });
    this.peers = new RaftPeersFile(o.dir, this.log);
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
      files.keys.forget();
      await files.save(state, tls);
      await m.startRaft(true);
      await m.waitLeader();
    } catch (e) {
      await m.stop().catch(() => undefined);
      await rm(o.dir, { recursive: true, force: true });
      throw e;
    }
    await m.store.update((tx) =>
      writeBootstrapObjects(tx, {
        clusterId,
        nodeId,
        ca,
        advertiseAddr: o.advertiseAddr,
        description: o.description,
        heartbeatPeriodMs: o.heartbeatPeriodMs,
        DefaultAddrPool: o.DefaultAddrPool,
        SubnetSize: o.SubnetSize,
        autoLockManagers: o.autoLockManagers,
        at: new Date().toISOString(),
      }),
    );
    await m.autolock.settled();
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
      files.keys.forget();
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
    await m.startRaft(false, await m.peers.load(saved.state.nodeId));
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
    const snapshot = this.store.snapshot();
    await this.stop();
    const files = new SwarmStateFiles(this.o.dir);
    await writeSingleVoterLog(files.raftDir, st, this.state, snapshot, await dataKeyCipher(files.keys), this.log);
    const m = await SwarmManager.open(this.o);
    if (!m) throw new NotSwarmManagerError(); // the state files just written are gone
    await m.waitLeader();
    await m.store.update((tx) => demoteOtherManagers(tx, m.nodeId));
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
      .flatMap((m) => (m.voter && m.address ? [{ nodeId: m.id, addr: m.address }] : []))
      .sort((a, b) => Number(b.nodeId === st.leader) - Number(a.nodeId === st.leader));
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
    return reachabilityOf(id, st, {
      activeRecently: this.loops.activeWithin(id, ACTIVE_WINDOW_MS),
      nodeDown: (n ?? this.store.state.get('nodes', id))?.Status.State === 'down',
    });
  }

  /** Linearizable read barrier before serving a read (the store is then up to date). */
  async barrier(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      // An election under way (a leader lost, a slow heartbeat on a busy host) ends within one
      // randomized election timeout: a read waits that long for it rather than failing at once.
      if (!(await leaderWithin(this.raft, 2 * ELECTION_TICKS * TICK_MS))) throw new NoLeaderError();
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
    await removeRaftMember(
      {
        selfId: this.nodeId,
        raft: this.raft,
        reachable: (id) => this.reachability(id) === 'reachable',
        leaderAgeMs: () => Date.now() - this.loops.leaderSince,
        forwardToLeader: (id, leaderAddress) =>
          callLeader<void>(
            [leaderAddress ?? '', ...this.managers().map((m) => m.addr)].filter(Boolean),
            channelCredentials(this.tls),
            'Leave',
            { nodeId: id },
            15_000,
          ),
        windowMs: ACTIVE_WINDOW_MS,
        pollMs: TICK_MS,
      },
      nodeId,
    );
  }

  private savePeers(): void {
    if (!this.stopped) this.peers.save(this.raft.status().members);
  }

  private async startRaft(bootstrap: boolean, peers: Record<string, string> = {}): Promise<void> {
    this.raft = await RaftNode.start<ApplyResult>({
      id: this.state.nodeId,
      dataDir: new SwarmStateFiles(this.o.dir).raftDir,
      listen: this.state.listenAddr,
      server: this.server!,
      advertise: this.state.advertiseAddr,
      // Only managers take part in Raft: a worker's certificate is refused here.
      authorize: managersOnly(() => this.store, this.state.clusterId),
      peers,
      bootstrap,
      tickMs: TICK_MS,
      electionTicks: ELECTION_TICKS,
      stateMachine: storeStateMachine(() => this.store),
      serverCredentials: serverCredentials(this.tls),
      channelCredentials: this.certs.managerChannel(this.state.clusterId),
      cipher: await dataKeyCipher(new SwarmStateFiles(this.o.dir).keys),
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
    if (!this.stopped) this.loops.follow(leader === this.state.nodeId);
  }

  private async serve(): Promise<void> {
    if (this.o.nodeServer) {
      this.server = await this.o.nodeServer(this.tls, this.state.listenAddr);
    } else {
      const { server, port } = await bindManagerServer(this.state.listenAddr, this.tls);
      this.boundPort = port;
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
    this.loops.stop();
    if (this.peerSaver) clearInterval(this.peerSaver);
    await this.raft?.stop();
    if (this.server && this.ownServer) this.server.forceShutdown();
    // The node's listener stays (node services, the worker this node becomes): take ours off it.
    else if (this.server) removeManagerServices(this.server);
    this.server = null;
  }
}
