// The driver (I/O shell) around the pure core: a tick timer, then for each Ready: persist (one
// fsync), send, apply, advance. Proposals resolve with the state machine's result once applied.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type ChannelCredentials, type Server, type ServerCredentials } from '@grpc/grpc-js';
import { decodeConfChange } from '../core/entries';
import { ConfChangeRejectedError, ProposalDroppedError } from '../core/errors';
import { RawNode, type RaftStatus } from '../core/raw-node';
import { silentLogger, type Logger } from '../log';
import { DurableStorage } from '../storage/durable-storage';
import { GrpcTransport, type GrpcTransportOptions } from '../transport/grpc-transport';
import {
  ConfChangeType,
  EntryType,
  Role,
  type ConfChange,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type Ready,
} from '../types';
import {
  decodeMemberContext,
  encodeMemberContext,
  unwrapProposals,
  unwrapSnapshot,
  wrapBatch,
  wrapSnapshot,
} from './envelope';
import {
  LeadershipLostError,
  NodeStoppedError,
  NotLeaderError,
  ProposalTimeoutError,
  RaftAbortedError,
} from './errors';
import { type StateMachine } from './state-machine';
import { type Waiter, WaiterSet } from './waiters';

/** Bounds of one group-commit entry. */
const MAX_BATCH_PROPOSALS = 1024;
const MAX_BATCH_BYTES = 512 * 1024;

export interface RaftNodeOptions<R = unknown> {
  id: NodeId;
  /** Holds wal/ and snap/. */
  dataDir: string;
  /** host:port for Raft traffic; port 0 picks a free port. */
  listen: string;
  /** Address other members dial; default: the listen host with the bound port. Required with `server`. */
  advertise?: string;
  /** Serve Raft on this (not yet bound) gRPC server, shared with other services; see GrpcTransportOptions.server. */
  server?: Server;
  /** Refuses incoming Raft calls from callers that are not members (see GrpcTransportOptions.authorize). */
  authorize?: GrpcTransportOptions['authorize'];
  /** Addresses of members known at start (founding members; for a joining node, the current ones). */
  peers: Record<NodeId, string>;
  /** With an empty dataDir: found a new cluster whose voters are `peers` plus this node. */
  bootstrap?: boolean;
  stateMachine: StateMachine<R>;
  /** Defaults: 25 ms ticks, election after 16-32 ticks (400-800 ms), heartbeat every 2 ticks. */
  tickMs?: number;
  electionTicks?: number;
  heartbeatTicks?: number;
  /** Snapshot and compact the log every N applied entries (default 10000), keeping `keepEntries` (default 1000). */
  snapshotEvery?: number;
  /** ...or once this many bytes of entries were applied since the last one (default 64 MiB): bounds the in-memory log. */
  snapshotBytes?: number;
  keepEntries?: number;
  proposalTimeoutMs?: number;
  /** A follower forwards proposals to the leader (default); when false it rejects with NotLeaderError. */
  forwardProposals?: boolean;
  maxSizePerMsg?: number;
  maxInflightMsgs?: number;
  serverCredentials?: ServerCredentials;
  channelCredentials?: ChannelCredentials;
  segmentBytes?: number;
  random?: () => number;
  log?: Logger;
}

export interface RequestOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface MemberStatus {
  id: NodeId;
  address: string | null;
  voter: boolean;
}

export interface RaftNodeStatus {
  id: NodeId;
  role: Role;
  leader: NodeId | null;
  leaderAddress: string | null;
  term: number;
  commit: number;
  applied: number;
  lastIndex: number;
  snapshotIndex: number;
  members: MemberStatus[];
  /** Only on the leader: replication progress per member. */
  progress?: RaftStatus['progress'];
}

export interface RaftNodeEvents {
  /** The known leader changed (null: none). */
  leader: [leader: NodeId | null, term: number];
  /** This node was removed from the cluster by a committed membership change. */
  removed: [];
}

export class RaftNode<R = unknown> extends EventEmitter<RaftNodeEvents> {
  private readonly log: Logger;
  private readonly raw: RawNode;
  private readonly proposals = new WaiterSet<R>();
  private readonly confWaiters = new WaiterSet<void>();
  private readonly reads = new Map<string, Waiter<number>>();
  private readonly addresses = new Map<NodeId, string>();
  private readonly idPrefix = randomBytes(8);
  private seq = 0n;
  private applied: number;
  private snapshotIndex: number;
  private leader: NodeId | null = null;
  private role: Role = Role.Follower;
  private ticker: NodeJS.Timeout | null = null;
  private wake: (() => void) | null = null;
  private stopped = false;
  private loopDone: Promise<void> = Promise.resolve();
  private fatal: unknown = null;
  private batch: { id: string; data: Uint8Array }[] = [];
  private batchBytes = 0;
  private flushQueued = false;
  private bytesSinceSnapshot = 0;
  /** The hard state last made durable. */
  private persisted: HardState;

  private constructor(
    private readonly o: Required<
      Pick<RaftNodeOptions<R>, 'tickMs' | 'snapshotEvery' | 'keepEntries' | 'proposalTimeoutMs' | 'forwardProposals'>
    > &
      RaftNodeOptions<R>,
    private readonly storage: DurableStorage,
    private readonly transport: GrpcTransport,
    readonly address: string,
  ) {
    super();
    this.log = o.log ?? silentLogger;
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
    const snap = storage.snapshot();
    this.snapshotIndex = snap?.meta.index ?? 0;
    this.applied = Math.max(storage.firstIndex() - 1, this.snapshotIndex);
  }

  /** Opens storage, restores the state machine, binds the transport and starts ticking. */
  static async start<R>(opts: RaftNodeOptions<R>): Promise<RaftNode<R>> {
    const log = opts.log ?? silentLogger;
    const voters = [...new Set([opts.id, ...Object.keys(opts.peers)])].sort();
    const storage = await DurableStorage.open(opts.dataDir, {
      bootstrap: opts.bootstrap ? voters : undefined,
      segmentBytes: opts.segmentBytes,
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
      // An option passed as undefined means "default", not "undefined".
      const given = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as RaftNodeOptions<R>;
      const full = {
        tickMs: 25,
        snapshotEvery: 10_000,
        keepEntries: 1000,
        proposalTimeoutMs: 10_000,
        forwardProposals: true,
        ...given,
      };
      // The port is needed for the advertised address before the node exists; bind first.
      let handler: RaftNode<R> | null = null;
      const port = await transport.start({
        onMessage: (m) => handler?.onMessage(m),
        onUnreachable: (p) => handler?.raw.reportUnreachable(p),
        onSnapshotStatus: (p, ok) => handler?.raw.reportSnapshot(p, ok),
      });
      const host = opts.listen.slice(0, opts.listen.lastIndexOf(':'));
      node = new RaftNode<R>(full, storage, transport, opts.advertise ?? `${host}:${port}`);
      node.restore();
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
    const id = this.nextId();
    return this.wait(this.proposals, id, opts, () => this.enqueue(id, data));
  }

  /**
   * Linearizable read barrier (ReadIndex, thesis §6.4): resolves with an index once this node has
   * applied everything committed before the call; state read after that is up to date.
   */
  read(opts: RequestOptions = {}): Promise<number> {
    const gate = this.gate(opts);
    if (gate) return Promise.reject(gate);
    const ctx = `${this.o.id}:${this.nextId()}`;
    return new Promise<number>((resolve, reject) => {
      const w = this.track(this.reads, ctx, resolve, reject, opts);
      try {
        this.raw.readIndex(ctx);
      } catch (e) {
        this.reads.delete(ctx);
        w.reject(this.mapCoreError(e));
        return;
      }
      this.kick();
    });
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
    await this.changeMember({ type: ConfChangeType.Remove, node: id }, this.addresses.get(id) ?? '', opts);
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
      applied: this.applied,
      lastIndex: s.lastIndex,
      snapshotIndex: this.snapshotIndex,
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
    this.failAll(new NodeStoppedError());
    await this.transport.stop();
    await this.storage.close();
  }

  // ---- group commit ----------------------------------------------------------------------------

  /** Proposals made in the same turn of the event loop travel as one log entry. */
  private enqueue(id: string, data: Uint8Array): void {
    this.batch.push({ id, data });
    this.batchBytes += data.length;
    if (this.batch.length >= MAX_BATCH_PROPOSALS || this.batchBytes >= MAX_BATCH_BYTES) {
      this.flushBatch();
      return;
    }
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flushBatch());
    }
  }

  private flushBatch(): void {
    this.flushQueued = false;
    // A caller that gave up (abort) before its proposal left is not proposed at all.
    const items = this.batch.filter((it) => this.proposals.has(it.id));
    this.batch = [];
    this.batchBytes = 0;
    if (items.length === 0) return;
    try {
      this.raw.propose(wrapBatch(items.map((it) => ({ id: Buffer.from(it.id, 'hex'), data: it.data }))));
    } catch (e) {
      const err = this.mapCoreError(e);
      for (const it of items) this.proposals.take(it.id)?.reject(err);
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
      this.failAll(e);
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
      if (
        this.applied - this.snapshotIndex >= this.o.snapshotEvery ||
        this.bytesSinceSnapshot >= (this.o.snapshotBytes ?? 64 * 1024 * 1024)
      ) {
        await this.snapshotNow();
      }
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
        this.applyEntry(e);
        n++;
      }
      committed = committed.slice(n);
    }
    await this.storage.saveReady(rd.hardState, rd.entries, rd.snapshot, { inline: !early });
    if (hs) this.persisted = hs;
    if (this.proposals.size > 0) {
      for (const e of rd.entries) {
        if (e.type !== EntryType.Normal) continue;
        for (const p of unwrapProposals(e.data)) if (this.proposals.has(p.id)) this.proposals.placed(p.id, e.index);
      }
    }
    if (!early) this.transport.send(remote);
    if (rd.snapshot) this.applySnapshot(rd.snapshot.meta.index, rd.snapshot.data);
    for (const e of committed) this.applyEntry(e);
    for (const rs of rd.readStates) {
      const w = this.reads.get(rs.context);
      if (w) w.index = rs.index;
    }
    this.resolveReads();
    for (const m of local) queueMicrotask(() => this.onMessage(m));
  }

  private applyEntry(e: Entry): void {
    if (e.index <= this.applied) return;
    if (e.type === EntryType.ConfChange) {
      this.applyConfChange(decodeConfChange(e));
    } else {
      const ids = new Set<string>();
      for (const p of unwrapProposals(e.data)) {
        ids.add(p.id);
        let result: R | undefined;
        let error: unknown = null;
        try {
          result = this.o.stateMachine.apply(p.data, e.index);
        } catch (err) {
          // Deterministic on every member: the error is the outcome of this proposal.
          error = err;
          this.log.warn({ err, index: e.index }, 'state machine rejected a proposal');
        }
        const w = this.proposals.take(p.id);
        if (w) {
          if (error !== null) w.reject(error);
          else w.resolve(result as R);
        }
      }
      for (const lost of this.proposals.takeDisplaced(e.index, ids)) {
        lost.reject(
          new LeadershipLostError(
            `log index ${e.index} was committed with another leader's entry, so the proposal was not applied`,
          ),
        );
      }
    }
    this.applied = e.index;
    this.bytesSinceSnapshot += e.data.length;
  }

  private applyConfChange(cc: ConfChange): void {
    this.raw.applyConfChange(cc);
    const ctx = decodeMemberContext(cc.context);
    if (cc.type === ConfChangeType.Remove) {
      this.addresses.delete(cc.node);
      this.transport.removePeer(cc.node);
    } else if (ctx?.address) {
      this.addresses.set(cc.node, ctx.address);
      if (cc.node !== this.o.id) this.transport.addPeer(cc.node, ctx.address);
    }
    this.log.info({ change: ConfChangeType[cc.type], member: cc.node, address: ctx?.address }, 'membership changed');
    if (ctx?.req) this.confWaiters.take(ctx.req)?.resolve();
    if (cc.type === ConfChangeType.Remove && cc.node === this.o.id) this.emit('removed');
  }

  private applySnapshot(index: number, data: Uint8Array): void {
    this.restoreFrom(data);
    this.applied = index;
    this.snapshotIndex = index;
    this.bytesSinceSnapshot = 0;
    for (const w of this.proposals.takePlacedUpTo(index)) {
      w.reject(
        new LeadershipLostError(
          `this node caught up by snapshot at index ${index}, so whether the proposal was applied is unknown`,
        ),
      );
    }
    this.log.info({ index }, 'restored state machine from leader snapshot');
  }

  private restore(): void {
    for (const [id, addr] of Object.entries(this.o.peers)) this.addresses.set(id, addr);
    const snap = this.storage.snapshot();
    if (snap) this.restoreFrom(snap.data);
    this.addresses.set(this.o.id, this.address);
    for (const [id, addr] of this.addresses) if (id !== this.o.id) this.transport.addPeer(id, addr);
  }

  private restoreFrom(data: Uint8Array): void {
    const u = unwrapSnapshot(data);
    if (!u) return;
    for (const [id, addr] of Object.entries(u.addresses)) if (id !== this.o.id) this.addresses.set(id, addr);
    // Addresses given at start win: the operator may have moved a member.
    for (const [id, addr] of Object.entries(this.o.peers)) this.addresses.set(id, addr);
    for (const [id, addr] of this.addresses) if (id !== this.o.id) this.transport.addPeer(id, addr);
    this.o.stateMachine.restore(u.app);
  }

  private async snapshotNow(): Promise<void> {
    const conf = this.raw.status().conf;
    const data = wrapSnapshot(Object.fromEntries(this.addresses), this.o.stateMachine.snapshot());
    await this.storage.createSnapshot(this.applied, conf, data, this.o.keepEntries);
    this.snapshotIndex = this.applied;
    this.bytesSinceSnapshot = 0;
  }

  private onSoftState(leader: NodeId | null, role: Role): void {
    this.role = role;
    if (leader === this.leader) return;
    this.leader = leader;
    this.log.info({ leader, role, term: this.raw.status().term }, 'raft leader changed');
    // A ReadIndex request in flight to the old leader will never be answered; reads are safe to retry.
    for (const [ctx, w] of this.reads) {
      if (w.index === undefined) {
        this.reads.delete(ctx);
        w.reject(new LeadershipLostError(`the leader changed to ${leader ?? 'none'} while the read was pending`));
      }
    }
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
    const now = Date.now();
    for (const w of this.proposals.takeExpired(now)) w.reject(new ProposalTimeoutError(this.o.proposalTimeoutMs));
    for (const w of this.confWaiters.takeExpired(now)) w.reject(new ProposalTimeoutError(this.o.proposalTimeoutMs));
    for (const [ctx, w] of this.reads) {
      if (w.deadline <= now) {
        this.reads.delete(ctx);
        w.reject(new ProposalTimeoutError(this.o.proposalTimeoutMs));
      }
    }
    this.kick();
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private resolveReads(): void {
    for (const [ctx, w] of this.reads) {
      if (w.index !== undefined && w.index <= this.applied) {
        this.reads.delete(ctx);
        w.resolve(w.index);
      }
    }
  }

  private async changeMember(cc: ConfChange, address: string, opts: RequestOptions): Promise<void> {
    const gate = this.gate(opts);
    if (gate) throw gate;
    if (this.role !== Role.Leader) throw this.notLeader();
    const req = this.nextId();
    await this.wait(this.confWaiters, req, opts, () =>
      this.raw.proposeConfChange({ ...cc, context: encodeMemberContext({ address, req }) }),
    );
  }

  /** Registers a waiter under `id`, runs `submit` (which may throw), and settles on apply/timeout/abort. */
  private wait<T>(set: WaiterSet<T>, id: string, opts: RequestOptions, submit: () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timeoutMs = opts.timeoutMs ?? this.o.proposalTimeoutMs;
      let onAbort: (() => void) | null = null;
      const settle = (): void => {
        if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
      };
      const w: Waiter<T> = {
        resolve: (v) => {
          settle();
          resolve(v);
        },
        reject: (e) => {
          settle();
          reject(e instanceof ProposalTimeoutError ? new ProposalTimeoutError(timeoutMs) : e);
        },
        deadline: Date.now() + timeoutMs,
      };
      if (opts.signal) {
        const signal = opts.signal;
        onAbort = () => set.take(id)?.reject(new RaftAbortedError(signal.reason));
        signal.addEventListener('abort', onAbort, { once: true });
      }
      set.add(id, w);
      try {
        submit();
      } catch (e) {
        set.take(id);
        w.reject(this.mapCoreError(e));
        return;
      }
      this.kick();
    });
  }

  private track<T>(
    map: Map<string, Waiter<T>>,
    key: string,
    resolve: (v: T) => void,
    reject: (e: unknown) => void,
    opts: RequestOptions,
  ): Waiter<T> {
    const timeoutMs = opts.timeoutMs ?? this.o.proposalTimeoutMs;
    let onAbort: (() => void) | null = null;
    const signal = opts.signal;
    const settle = (): void => {
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    };
    const w: Waiter<T> = {
      resolve: (v) => {
        settle();
        resolve(v);
      },
      reject: (e) => {
        settle();
        reject(e instanceof ProposalTimeoutError ? new ProposalTimeoutError(timeoutMs) : e);
      },
      deadline: Date.now() + timeoutMs,
    };
    if (signal) {
      onAbort = () => {
        if (map.delete(key)) w.reject(new RaftAbortedError(signal.reason));
      };
      signal.addEventListener('abort', onAbort, { once: true });
    }
    map.set(key, w);
    return w;
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
    return this.addresses.get(id) ?? null;
  }

  private nextId(): string {
    const b = Buffer.allocUnsafe(16);
    this.idPrefix.copy(b, 0);
    b.writeBigUInt64BE(this.seq++, 8);
    return b.toString('hex');
  }

  private failAll(e: unknown): void {
    for (const w of this.proposals.takeAll()) w.reject(e);
    for (const w of this.confWaiters.takeAll()) w.reject(e);
    for (const w of this.reads.values()) w.reject(e);
    this.reads.clear();
  }
}
