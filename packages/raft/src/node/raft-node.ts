// The driver (I/O shell) around the pure core: a tick timer, then for each Ready: persist (one
// fsync), send, apply, advance. Proposals resolve with the state machine's result once applied.
// Beside it: the waiting callers (requests.ts), group commit (batcher.ts), the apply side
// (applier.ts) and the members' addresses (members.ts).
import { EventEmitter } from 'node:events';
import { ConfChangeRejectedError, ProposalDroppedError } from '../core/errors';
import { RawNode } from '../core/raw-node';
import { silentLogger, type Logger } from '../log';
import { DurableStorage } from '../storage/durable-storage';
import { GrpcTransport } from '../transport/grpc-transport';
import {
  ConfChangeType,
  EntryType,
  Role,
  type ConfChange,
  type HardState,
  type Message,
  type NodeId,
  type Ready,
} from '../types';
import { Applier } from './applier';
import { ProposalBatcher, type BatchItem } from './batcher';
import { decodeMemberContext, encodeMemberContext, unwrapProposals, wrapBatch } from './envelope';
import { NodeStoppedError, NotLeaderError, ProposalTimeoutError, RaftAbortedError } from './errors';
import { MemberAddresses } from './members';
import {
  type MemberStatus,
  type RaftNodeEvents,
  type RaftNodeOptions,
  type RaftNodeStatus,
  type RequestOptions,
  type ResolvedOptions,
  withDefaults,
} from './options';
import { PendingRequests } from './requests';

export class RaftNode<R = unknown> extends EventEmitter<RaftNodeEvents> {
  private readonly log: Logger;
  private readonly raw: RawNode;
  private readonly requests: PendingRequests<R>;
  private readonly members: MemberAddresses;
  private readonly applier: Applier<R>;
  private leader: NodeId | null = null;
  private role: Role = Role.Follower;
  private ticker: NodeJS.Timeout | null = null;
  private wake: (() => void) | null = null;
  private stopped = false;
  private loopDone: Promise<void> = Promise.resolve();
  private fatal: unknown = null;
  private readonly batcher: ProposalBatcher;
  /** The hard state last made durable. */
  private persisted: HardState;

  private constructor(
    private readonly o: ResolvedOptions<R>,
    private readonly storage: DurableStorage,
    private readonly transport: GrpcTransport,
    readonly address: string,
  ) {
    super();
    this.log = o.log ?? silentLogger;
    this.requests = new PendingRequests<R>(
      o.proposalTimeoutMs,
      () => this.kick(),
      (e) => this.mapCoreError(e),
    );
    this.batcher = new ProposalBatcher((items) => this.proposeBatch(items));
    this.raw = new RawNode(
      {
        id: o.id,
        electionTicks: o.electionTicks ?? 16,
        heartbeatTicks: o.heartbeatTicks ?? 2,
        preVote: true,
        checkQuorum: true,
        maxSizePerMsg: o.maxSizePerMsg ?? 1024 * 1024,
        maxInflightMsgs: o.maxInflightMsgs ?? 256,
        random: o.random ?? Math.random,
      },
      storage,
    );
    this.persisted = storage.hardState();
    this.members = new MemberAddresses(o.id, o.peers, transport);
    this.applier = new Applier<R>({
      o,
      storage,
      members: this.members,
      proposals: this.requests.proposals,
      log: this.log,
      onConfChange: (cc) => this.applyConfChange(cc),
    });
  }

  /** Opens storage, restores the state machine, binds the transport and starts ticking. */
  static async start<R>(opts: RaftNodeOptions<R>): Promise<RaftNode<R>> {
    const log = opts.log ?? silentLogger;
    const voters = [...new Set([opts.id, ...Object.keys(opts.peers)])].sort();
    const storage = await DurableStorage.open(opts.dataDir, {
      bootstrap: opts.bootstrap ? voters : undefined,
      segmentBytes: opts.segmentBytes,
      cipher: opts.cipher,
      log,
    });
    if (opts.server && !opts.advertise)
      throw new TypeError('RaftNode: `advertise` is required when `server` is given (the port is bound by its owner)');
    const transport = new GrpcTransport({
      id: opts.id,
      listen: opts.listen,
      server: opts.server,
      authorize: opts.authorize,
      serverCredentials: opts.serverCredentials,
      channelCredentials: opts.channelCredentials,
      log,
    });
    let node: RaftNode<R>;
    try {
      // The port is needed for the advertised address before the node exists; bind first.
      let handler: RaftNode<R> | null = null;
      const port = await transport.start({
        onMessage: (m) => handler?.onMessage(m),
        onUnreachable: (p) => handler?.raw.reportUnreachable(p),
        onSnapshotStatus: (p, ok) => handler?.raw.reportSnapshot(p, ok),
      });
      const host = opts.listen.slice(0, opts.listen.lastIndexOf(':'));
      node = new RaftNode<R>(withDefaults(opts), storage, transport, opts.advertise ?? `${host}:${port}`);
      node.applier.restore();
      node.members.setSelf(node.address);
      handler = node;
    } catch (e) {
      await transport.stop();
      await storage.close();
      throw e;
    }
    node.startLoop();
    return node;
  }

  // ---- public API ----------------------------------------------------------------------------

  /** Replicates `data`; resolves with the state machine's result once it is applied on this node. */
  propose(data: Uint8Array, opts: RequestOptions = {}): Promise<R> {
    const gate = this.gate(opts);
    if (gate) return Promise.reject(gate);
    if (!this.o.forwardProposals && this.role !== Role.Leader) return Promise.reject(this.notLeader());
    const id = this.requests.nextId();
    return this.requests.wait(this.requests.proposals, id, opts, () => this.batcher.add(id, data));
  }

  /**
   * Linearizable read barrier (ReadIndex, thesis §6.4): resolves with an index once this node has
   * applied everything committed before the call; state read after that is up to date.
   */
  read(opts: RequestOptions = {}): Promise<number> {
    const gate = this.gate(opts);
    if (gate) return Promise.reject(gate);
    const ctx = `${this.o.id}:${this.requests.nextId()}`;
    return this.requests.read(ctx, opts, () => this.raw.readIndex(ctx));
  }

  /** Adds a member as a learner, waits for it to catch up, then promotes it to voter (leader only). */
  async addMember(id: NodeId, address: string, opts: RequestOptions = {}): Promise<void> {
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
    const st = this.raw.status();
    const isVoter = st.conf.voters.includes(id);
    if (!isVoter && !st.conf.learners.includes(id))
      await this.changeMember({ type: ConfChangeType.AddLearner, node: id }, address, opts);
    if (isVoter) return;
    while (true) {
      const gate = this.gate(opts);
      if (gate) throw gate;
      const s = this.raw.status();
      if (s.role !== Role.Leader) throw this.notLeader();
      const pr = s.progress?.[id];
      if (pr && pr.match >= s.commit) break;
      if (Date.now() > deadline) throw new ProposalTimeoutError(opts.timeoutMs ?? 60_000);
      await new Promise((r) => setTimeout(r, this.o.tickMs));
    }
    await this.changeMember({ type: ConfChangeType.AddVoter, node: id }, address, {
      ...opts,
      timeoutMs: Math.max(1000, deadline - Date.now()),
    });
  }

  /** Removes a member (voter or learner) from the cluster (leader only). */
  async removeMember(id: NodeId, opts: RequestOptions = {}): Promise<void> {
    await this.changeMember({ type: ConfChangeType.Remove, node: id }, this.members.get(id) ?? '', opts);
  }

  transferLeadership(to: NodeId): void {
    this.raw.transferLeadership(to);
    this.kick();
  }

  /** Starts an election now (tests, and a manager that knows it should lead). */
  campaign(): void {
    this.raw.campaign();
    this.kick();
  }

  status(): RaftNodeStatus {
    const s = this.raw.status();
    const members: MemberStatus[] = [
      ...s.conf.voters.map((id) => ({ id, address: this.addrOf(id), voter: true })),
      ...s.conf.learners.map((id) => ({ id, address: this.addrOf(id), voter: false })),
    ];
    return {
      id: s.id,
      role: s.role,
      leader: s.leader,
      leaderAddress: s.leader ? this.addrOf(s.leader) : null,
      term: s.term,
      commit: s.commit,
      applied: this.applier.applied,
      lastIndex: s.lastIndex,
      snapshotIndex: this.applier.snapshotIndex,
      members,
      ...(s.progress ? { progress: s.progress } : {}),
    };
  }

  /** Stops ticking, rejects waiting callers with NodeStoppedError, closes transport and storage. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    this.kick();
    await this.loopDone;
    this.requests.failAll(new NodeStoppedError());
    await this.transport.stop();
    await this.storage.close();
  }

  // ---- group commit ----------------------------------------------------------------------------

  /** One entry for the proposals of a turn (see ProposalBatcher). */
  private proposeBatch(batch: readonly BatchItem[]): void {
    // A caller that gave up (abort) before its proposal left is not proposed at all.
    const items = batch.filter((it) => this.requests.proposals.has(it.id));
    if (items.length === 0) return;
    try {
      this.raw.propose(wrapBatch(items.map((it) => ({ id: Buffer.from(it.id, 'hex'), data: it.data }))));
    } catch (e) {
      const err = this.mapCoreError(e);
      for (const it of items) this.requests.proposals.take(it.id)?.reject(err);
    }
    this.kick();
  }

  // ---- the loop --------------------------------------------------------------------------------

  private startLoop(): void {
    this.ticker = setInterval(() => this.onTick(), this.o.tickMs);
    this.loopDone = this.run().catch((e: unknown) => {
      // Storage failures are fatal: continuing could acknowledge what is not durable.
      this.fatal = e;
      if (this.ticker) clearInterval(this.ticker);
      this.log.fatal({ err: e }, 'raft node stopped: persisting or applying failed');
      this.requests.failAll(e);
    });
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (!this.raw.hasReady()) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = null;
        continue;
      }
      const rd = this.raw.ready();
      await this.handleReady(rd);
      this.raw.advance(rd);
      if (this.applier.snapshotDue()) await this.applier.snapshotNow(this.raw.status().conf);
    }
  }

  private kick(): void {
    const w = this.wake;
    if (w) {
      this.wake = null;
      w();
    }
  }

  private async handleReady(rd: Ready): Promise<void> {
    if (rd.softState) this.onSoftState(rd.softState.leader, rd.softState.role);
    const local: Message[] = [];
    const remote: Message[] = [];
    for (const m of rd.messages) (m.to === this.o.id ? local : remote).push(m);
    // Thesis §10.2.1: a leader may replicate in parallel with its own fsync. Its messages promise
    // nothing about its own disk, and whatever the core concludes from the replies (a new commit
    // index) only leaves this node in a later Ready, after this one is durable. A term or vote
    // change is a promise, so such a Ready is persisted first, as followers always do.
    const hs = rd.hardState;
    const prev = this.persisted;
    const early = this.role === Role.Leader && (!hs || (hs.term === prev.term && hs.vote === prev.vote));
    if (early) this.transport.send(remote);
    // Committed entries already on this node's disk (from earlier Readies) need not wait for this
    // Ready's fsync: they are durable on a majority. Only a single-member cluster commits entries
    // that are still being written here; those wait.
    let committed = rd.committedEntries;
    if (!rd.snapshot && committed.length > 0) {
      const durable = this.storage.lastIndex();
      let n = 0;
      for (const e of committed) {
        if (e.index > durable) break;
        this.applier.applyEntry(e);
        n++;
      }
      committed = committed.slice(n);
    }
    await this.storage.saveReady(rd.hardState, rd.entries, rd.snapshot, { inline: !early });
    if (hs) this.persisted = hs;
    const proposals = this.requests.proposals;
    if (proposals.size > 0) {
      for (const e of rd.entries) {
        if (e.type !== EntryType.Normal) continue;
        for (const p of unwrapProposals(e.data)) if (proposals.has(p.id)) proposals.placed(p.id, e.index);
      }
    }
    if (!early) this.transport.send(remote);
    if (rd.snapshot) this.applier.applySnapshot(rd.snapshot.meta.index, rd.snapshot.data);
    for (const e of committed) this.applier.applyEntry(e);
    for (const rs of rd.readStates) this.requests.readIndexed(rs.context, rs.index);
    this.requests.resolveReads(this.applier.applied);
    for (const m of local) queueMicrotask(() => this.onMessage(m));
  }

  private applyConfChange(cc: ConfChange): void {
    this.raw.applyConfChange(cc);
    const ctx = decodeMemberContext(cc.context);
    if (cc.type === ConfChangeType.Remove) this.members.removed(cc.node);
    else if (ctx?.address) this.members.added(cc.node, ctx.address);
    this.log.info({ change: ConfChangeType[cc.type], member: cc.node, address: ctx?.address }, 'membership changed');
    if (ctx?.req) this.requests.confChanges.take(ctx.req)?.resolve();
    if (cc.type === ConfChangeType.Remove && cc.node === this.o.id) this.emit('removed');
  }

  private onSoftState(leader: NodeId | null, role: Role): void {
    this.role = role;
    if (leader === this.leader) return;
    this.leader = leader;
    this.log.info({ leader, role, term: this.raw.status().term }, 'raft leader changed');
    this.requests.leaderChanged(leader);
    this.emit('leader', leader, this.raw.status().term);
  }

  private onMessage(m: Message): void {
    if (this.stopped) return;
    try {
      this.raw.step(m);
    } catch (e) {
      this.log.warn({ err: e, from: m.from, type: m.type }, 'raft core refused a message');
    }
    this.kick();
  }

  private onTick(): void {
    this.raw.tick();
    this.requests.expire(Date.now());
    this.kick();
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private async changeMember(cc: ConfChange, address: string, opts: RequestOptions): Promise<void> {
    const gate = this.gate(opts);
    if (gate) throw gate;
    if (this.role !== Role.Leader) throw this.notLeader();
    const req = this.requests.nextId();
    await this.requests.wait(this.requests.confChanges, req, opts, () =>
      this.raw.proposeConfChange({ ...cc, context: encodeMemberContext({ address, req }) }),
    );
  }

  private gate(opts: RequestOptions): Error | null {
    if (this.fatal) return new NodeStoppedError();
    if (this.stopped) return new NodeStoppedError();
    if (opts.signal?.aborted) return new RaftAbortedError(opts.signal.reason);
    return null;
  }

  private mapCoreError(e: unknown): unknown {
    if (e instanceof ProposalDroppedError) return this.notLeader(e);
    if (e instanceof ConfChangeRejectedError) return e;
    return e;
  }

  private notLeader(cause?: unknown): NotLeaderError {
    const leader = this.raw.status().leader;
    return new NotLeaderError(leader === this.o.id ? null : leader, leader ? this.addrOf(leader) : null, { cause });
  }

  private addrOf(id: NodeId): string | null {
    return this.members.get(id);
  }
}
