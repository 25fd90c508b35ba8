// The Raft state machine (Ongaro's thesis; structure after etcd-io/raft). Pure: no timers,
// sockets or files. Inputs are tick(), step(msg) and the local API; outputs accumulate in
// `msgs`, `readStates` and the log, which RawNode hands out as a Ready.
import {
  ConfChangeType,
  EntryType,
  MessageType,
  Role,
  type ConfChange,
  type ConfState,
  type Entry,
  type LogStorage,
  type Message,
  type NodeId,
  type RaftConfig,
  type ReadState,
  type Snapshot,
} from '../types';
import { decodeConfChange, encodeConfChange } from './entries';
import { CompactedError, ConfChangeRejectedError, ProposalDroppedError, RaftError, UnavailableError } from './errors';
import { Progress, ProgressState } from './progress';
import { RaftLog } from './raft-log';
import { ReadOnly } from './read-only';
import { ProgressTracker, VoteResult } from './tracker';

const EMPTY = new Uint8Array(0);

export class Raft {
  readonly id: NodeId;
  term = 0;
  vote: NodeId | null = null;
  lead: NodeId | null = null;
  role: Role = Role.Follower;
  readonly log: RaftLog;
  readonly prs: ProgressTracker;
  msgs: Message[] = [];
  readStates: ReadState[] = [];
  leadTransferee: NodeId | null = null;
  /** Index of the latest conf change (or the new leader's no-op); none other until it is applied. */
  pendingConfIndex = 0;

  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  private readOnly = new ReadOnly();
  /** ReadIndex requests received before this leader committed an entry of its term (§6.4 step 1). */
  private pendingReadIndex: Message[] = [];
  private readonly cfg: RaftConfig;

  constructor(cfg: RaftConfig, storage: LogStorage) {
    validateConfig(cfg);
    this.cfg = cfg;
    this.id = cfg.id;
    this.log = new RaftLog(storage);
    const { hardState, conf } = storage.initialState();
    this.prs = new ProgressTracker(cfg.maxInflightMsgs);
    this.prs.setConf(conf, this.log.lastIndex());
    this.term = hardState.term;
    this.vote = hardState.vote;
    if (hardState.commit > this.log.committed) this.log.commitTo(hardState.commit);
    this.becomeFollower(this.term, null);
  }

  // ---- roles -------------------------------------------------------------------------------

  private reset(term: number): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = null;
    }
    this.lead = null;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.cfg.electionTicks + Math.floor(this.cfg.random() * this.cfg.electionTicks);
    this.leadTransferee = null;
    this.prs.resetVotes();
    const last = this.log.lastIndex();
    for (const [id, pr] of this.prs.progress) {
      const fresh = new Progress(last + 1, this.cfg.maxInflightMsgs, pr.isLearner);
      if (id === this.id) fresh.match = this.selfDurableIndex();
      this.prs.progress.set(id, fresh);
    }
    this.pendingConfIndex = 0;
    this.readOnly = new ReadOnly();
    this.pendingReadIndex = [];
  }

  becomeFollower(term: number, lead: NodeId | null): void {
    this.reset(term);
    this.lead = lead;
    this.role = Role.Follower;
  }

  private becomePreCandidate(): void {
    // Pre-vote (thesis §9.6): no term change and no vote, so a partitioned node cannot disrupt.
    this.prs.resetVotes();
    this.lead = null;
    this.role = Role.PreCandidate;
  }

  private becomeCandidate(): void {
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = Role.Candidate;
  }

  private becomeLeader(): void {
    this.reset(this.term);
    this.lead = this.id;
    this.role = Role.Leader;
    const self = this.prs.progress.get(this.id);
    if (self) {
      self.becomeReplicate();
      self.recentActive = true;
    }
    // §5.4.2/§8: a no-op of the new term lets earlier entries commit and ReadIndex start; no conf
    // change may be proposed until it is applied (the fix for the single-server change bug).
    this.appendEntry([{ term: 0, index: 0, type: EntryType.Normal, data: EMPTY }]);
    this.pendingConfIndex = this.log.lastIndex();
  }

  private promotable(): boolean {
    return this.prs.isVoter(this.id) && this.log.unstable.snapshot === null;
  }

  // ---- time --------------------------------------------------------------------------------

  tick(): void {
    if (this.role === Role.Leader) this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup(false);
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.cfg.electionTicks) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) {
        // Check-quorum (thesis §6.2): a leader cut off from a majority steps down.
        if (!this.prs.quorumActive(this.id)) {
          this.becomeFollower(this.term, null);
          return;
        }
        for (const [id, pr] of this.prs.progress) if (id !== this.id) pr.recentActive = false;
      }
      // A transfer that did not finish within an election timeout is abandoned (thesis §3.10).
      if (this.leadTransferee !== null) this.leadTransferee = null;
    }
    if (this.heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat();
    }
  }

  // ---- elections (§5.2) --------------------------------------------------------------------

  hup(transfer: boolean): void {
    if (this.role === Role.Leader || !this.promotable()) return;
    // A committed but unapplied conf change may change who votes: apply it first.
    if (this.hasUnappliedConfChanges()) return;
    this.campaign(this.cfg.preVote && !transfer ? 'pre' : 'real', transfer);
  }

  private hasUnappliedConfChanges(): boolean {
    if (this.log.committed <= this.log.applied) return false;
    const lo = Math.max(this.log.applied + 1, this.log.firstIndex());
    for (const e of this.log.slice(lo, this.log.committed + 1)) if (e.type === EntryType.ConfChange) return true;
    return false;
  }

  private campaign(kind: 'pre' | 'real', transfer: boolean): void {
    let voteType: MessageType;
    let term: number;
    if (kind === 'pre') {
      this.becomePreCandidate();
      voteType = MessageType.PreVote;
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      voteType = MessageType.Vote;
      term = this.term;
    }
    this.prs.recordVote(this.id, true);
    if (this.prs.tallyVotes() === VoteResult.Won) {
      if (kind === 'pre') this.campaign('real', transfer);
      else this.becomeLeader();
      return;
    }
    const index = this.log.lastIndex();
    const logTerm = this.log.lastTerm();
    for (const id of this.prs.voters) {
      if (id === this.id) continue;
      const m: Message = { type: voteType, from: this.id, to: id, term, index, logTerm };
      if (transfer) m.transfer = true;
      this.msgs.push(m);
    }
  }

  // ---- message dispatch --------------------------------------------------------------------

  step(m: Message): void {
    if (m.term === 0) {
      // Forwarded proposals and read requests carry no term (they are not tied to one).
    } else if (m.term > this.term) {
      if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
        // Leader stickiness (thesis §4.2.3): while we hear from a live leader, ignore candidates,
        // unless the leader itself asked for this election (transfer).
        const inLease = this.cfg.checkQuorum && this.lead !== null && this.electionElapsed < this.cfg.electionTicks;
        if (!m.transfer && inLease) return;
      }
      if (m.type === MessageType.PreVote) {
        // A pre-vote never changes our term.
      } else if (m.type === MessageType.PreVoteResp && !m.reject) {
        // Granted pre-votes carry the future term; we adopt it when we win the pre-vote.
      } else if (m.type === MessageType.Append || m.type === MessageType.Heartbeat || m.type === MessageType.Snapshot) {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, null);
      }
    } else if (m.term < this.term) {
      if (m.type === MessageType.Heartbeat || m.type === MessageType.Append) {
        // §5.1: reject a stale leader with our term so it steps down. Needed even without
        // pre-vote/check-quorum: a node that learned a higher term as a learner never campaigns,
        // so the old leader would otherwise never find out.
        this.send({ type: MessageType.AppendResp, to: m.from });
      } else if (m.type === MessageType.PreVote || m.type === MessageType.Vote) {
        // §5.1: reply with our term so a candidate stuck in an old term catches up; otherwise a
        // lagging voter that campaigns in ever higher terms could starve it forever.
        const type = m.type === MessageType.PreVote ? MessageType.PreVoteResp : MessageType.VoteResp;
        this.send({ type, to: m.from, term: this.term, reject: true });
      }
      return;
    }

    if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
      this.handleVote(m);
      return;
    }
    switch (this.role) {
      case Role.Leader:
        this.stepLeader(m);
        break;
      case Role.Candidate:
      case Role.PreCandidate:
        this.stepCandidate(m);
        break;
      case Role.Follower:
        this.stepFollower(m);
        break;
    }
  }

  private handleVote(m: Message): void {
    const pre = m.type === MessageType.PreVote;
    const respType = pre ? MessageType.PreVoteResp : MessageType.VoteResp;
    // §5.2: at most one vote per term (a repeat for the same candidate is fine); §5.4.1: only for
    // an up-to-date log. A pre-vote for a future term is granted on the log alone.
    const canVote = this.vote === m.from || (this.vote === null && this.lead === null) || (pre && m.term > this.term);
    if (canVote && this.log.isUpToDate(m.index ?? 0, m.logTerm ?? 0)) {
      this.send({ type: respType, to: m.from, term: m.term });
      if (!pre) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: respType, to: m.from, term: this.term, reject: true });
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case MessageType.Propose:
      case MessageType.ReadIndex:
        // Forwarded to us by another node that took us for the leader: forwarding it again could
        // loop, so it is dropped and the proposer's driver retries.
        break;
      case MessageType.Append:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppend(m);
        break;
      case MessageType.Heartbeat:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        break;
      case MessageType.Snapshot:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        break;
      case MessageType.TimeoutNow:
        this.hup(true);
        break;
      case MessageType.ReadIndexResp:
        this.readStates.push({ index: m.index ?? 0, context: m.context ?? '' });
        break;
      default:
        break;
    }
  }

  private stepCandidate(m: Message): void {
    const myResp = this.role === Role.PreCandidate ? MessageType.PreVoteResp : MessageType.VoteResp;
    switch (m.type) {
      case MessageType.Append:
      case MessageType.Heartbeat:
      case MessageType.Snapshot:
        // §5.2: a leader of our term exists.
        this.becomeFollower(m.term, m.from);
        this.stepFollower(m);
        break;
      case myResp: {
        this.prs.recordVote(m.from, !m.reject);
        const res = this.prs.tallyVotes();
        if (res === VoteResult.Won) {
          if (this.role === Role.PreCandidate) {
            this.campaign('real', false);
          } else {
            this.becomeLeader();
            this.bcastAppend();
          }
        } else if (res === VoteResult.Lost) {
          this.becomeFollower(this.term, null);
        }
        break;
      }
      default:
        break;
    }
  }

  private stepLeader(m: Message): void {
    switch (m.type) {
      case MessageType.Propose:
        this.leaderPropose(m.entries ?? [], m.from !== this.id);
        return;
      case MessageType.ReadIndex:
        this.leaderReadIndex(m);
        return;
      default:
        break;
    }
    const pr = this.prs.progress.get(m.from);
    if (!pr) return;
    switch (m.type) {
      case MessageType.AppendResp:
        this.handleAppendResp(m, pr);
        break;
      case MessageType.HeartbeatResp:
        this.handleHeartbeatResp(m, pr);
        break;
      default:
        break;
    }
  }

  // ---- replication (§5.3) ------------------------------------------------------------------

  private handleAppendResp(m: Message, pr: Progress): void {
    pr.recentActive = true;
    const index = m.index ?? 0;
    if (m.reject) {
      let hint = m.rejectHint ?? 0;
      if ((m.hintTerm ?? 0) > 0) hint = this.log.findConflictByTerm(hint, m.hintTerm ?? 0)[0];
      if (pr.maybeDecrTo(index, hint)) {
        if (pr.state === ProgressState.Replicate) pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    const oldPaused = pr.isPaused();
    if (pr.maybeUpdate(index) || (pr.match === index && pr.state === ProgressState.Probe)) {
      if (pr.state === ProgressState.Probe) {
        pr.becomeReplicate();
      } else if (pr.state === ProgressState.Snapshot && pr.match + 1 >= this.log.firstIndex()) {
        pr.becomeProbe();
        pr.becomeReplicate();
      } else if (pr.state === ProgressState.Replicate) {
        pr.inflights.freeLE(index);
      }
      if (this.maybeCommit()) {
        this.bcastAppend();
      } else if (oldPaused) {
        this.sendAppend(m.from);
      }
      // Fill the window: several batches may be ready now.
      while (this.maybeSendAppend(m.from, false)) {
        /* keep sending */
      }
      if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) this.sendTimeoutNow(m.from);
    }
  }

  private handleHeartbeatResp(m: Message, pr: Progress): void {
    pr.recentActive = true;
    pr.probeSent = false;
    if (pr.state === ProgressState.Replicate && pr.inflights.full()) pr.inflights.freeFirstOne();
    if (pr.match < this.log.lastIndex()) this.sendAppend(m.from);
    if (m.context) {
      const acks = this.readOnly.recvAck(m.from, m.context);
      if (acks && this.prs.isQuorum(acks)) {
        for (const rs of this.readOnly.advance(m.context)) this.respondReadIndex(rs.req, rs.index);
      }
    }
  }

  private handleAppend(m: Message): void {
    const index = m.index ?? 0;
    if (index < this.log.committed) {
      this.send({ type: MessageType.AppendResp, to: m.from, index: this.log.committed });
      return;
    }
    const lastNew = this.log.maybeAppend(index, m.logTerm ?? 0, m.commit ?? 0, m.entries ?? []);
    if (lastNew !== undefined) {
      this.send({ type: MessageType.AppendResp, to: m.from, index: lastNew });
      return;
    }
    // Fast backtracking: tell the leader the last index at which our terms are <= its prev term.
    const [hintIndex, hintTerm] = this.log.findConflictByTerm(Math.min(index, this.log.lastIndex()), m.logTerm ?? 0);
    this.send({ type: MessageType.AppendResp, to: m.from, index, reject: true, rejectHint: hintIndex, hintTerm });
  }

  private handleHeartbeat(m: Message): void {
    this.log.commitTo(m.commit ?? 0);
    const resp: Message = { type: MessageType.HeartbeatResp, from: this.id, to: m.from, term: this.term };
    if (m.context) resp.context = m.context;
    this.msgs.push(resp);
  }

  // ---- snapshots (§7) ----------------------------------------------------------------------

  private handleSnapshot(m: Message): void {
    const snap = m.snapshot;
    if (snap && this.restore(snap)) {
      this.send({ type: MessageType.AppendResp, to: m.from, index: this.log.lastIndex() });
    } else {
      this.send({ type: MessageType.AppendResp, to: m.from, index: this.log.committed });
    }
  }

  private restore(s: Snapshot): boolean {
    if (s.meta.index <= this.log.committed) return false;
    if (this.log.matchTerm(s.meta.index, s.meta.term)) {
      // We already hold that prefix: just learn that it is committed.
      this.log.commitTo(s.meta.index);
      return false;
    }
    this.log.restore(s);
    this.prs.setConf(s.meta.conf, this.log.lastIndex());
    return true;
  }

  private sendSnapshot(to: NodeId, pr: Progress): boolean {
    if (!pr.recentActive) return false;
    const snap = this.log.snapshot();
    if (!snap) return false;
    this.send({ type: MessageType.Snapshot, to, snapshot: snap });
    pr.becomeSnapshot(snap.meta.index);
    return true;
  }

  // ---- sending -----------------------------------------------------------------------------

  private send(m: Omit<Message, 'from' | 'term'> & { term?: number }): void {
    const full = { ...m, from: this.id } as Message;
    if (m.type === MessageType.Propose || m.type === MessageType.ReadIndex) full.term = 0;
    else if (m.term === undefined) full.term = this.term;
    this.msgs.push(full);
  }

  sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  private maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.prs.progress.get(to);
    if (!pr || to === this.id || pr.isPaused()) return false;
    let prevTerm: number;
    let ents: Entry[];
    try {
      prevTerm = this.log.term(pr.next - 1);
      ents = this.log.entries(pr.next, this.cfg.maxSizePerMsg);
    } catch (e) {
      if (e instanceof CompactedError || e instanceof UnavailableError) return this.sendSnapshot(to, pr);
      throw e;
    }
    if (ents.length === 0 && !sendIfEmpty) return false;
    this.send({
      type: MessageType.Append,
      to,
      index: pr.next - 1,
      logTerm: prevTerm,
      entries: ents,
      commit: this.log.committed,
    });
    if (pr.state === ProgressState.Replicate) {
      const last = ents.at(-1);
      if (last) {
        pr.next = last.index + 1;
        pr.inflights.add(last.index);
      }
    } else if (pr.state === ProgressState.Probe) {
      pr.probeSent = true;
    }
    return true;
  }

  private bcastAppend(): void {
    for (const id of this.prs.progress.keys()) if (id !== this.id) this.sendAppend(id);
  }

  private bcastHeartbeat(): void {
    const ctx = this.readOnly.lastPendingContext();
    for (const [id, pr] of this.prs.progress) {
      if (id === this.id) continue;
      // Never tell a follower to commit past what we know it holds.
      const m: Message = {
        type: MessageType.Heartbeat,
        from: this.id,
        to: id,
        term: this.term,
        commit: Math.min(pr.match, this.log.committed),
      };
      if (ctx !== undefined) m.context = ctx;
      this.msgs.push(m);
    }
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send({ type: MessageType.TimeoutNow, to });
  }

  // ---- leader bookkeeping ------------------------------------------------------------------

  private appendEntry(ents: Entry[]): void {
    let index = this.log.lastIndex();
    for (const e of ents) {
      e.term = this.term;
      e.index = ++index;
    }
    this.log.append(ents);
    // Without parallel writes every message waits for this write, so followers can only
    // acknowledge after it is durable here too: counting ourselves now is safe.
    if (!this.cfg.parallelLeaderWrites) this.prs.progress.get(this.id)?.maybeUpdate(this.log.lastIndex());
    this.maybeCommit();
  }

  /** The last index of our own log that counts towards a majority. */
  private selfDurableIndex(): number {
    if (!this.cfg.parallelLeaderWrites) return this.log.lastIndex();
    return Math.min(this.log.lastIndex(), this.log.unstable.offset - 1);
  }

  /** The shell made our log durable up to (index, term) (parallel leader writes only). */
  onPersisted(index: number, term: number): void {
    if (!this.cfg.parallelLeaderWrites || this.role !== Role.Leader) return;
    if (!this.log.matchTerm(index, term)) return;
    const self = this.prs.progress.get(this.id);
    if (self?.maybeUpdate(index) && this.maybeCommit()) this.bcastAppend();
  }

  private maybeCommit(): boolean {
    if (!this.log.maybeCommit(this.prs.committed(), this.term)) return false;
    if (this.pendingReadIndex.length > 0 && this.committedEntryInCurrentTerm()) {
      const reqs = this.pendingReadIndex;
      this.pendingReadIndex = [];
      for (const r of reqs) this.leaderReadIndex(r);
    }
    return true;
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.log.termOrZero(this.log.committed) === this.term;
  }

  // ---- client interaction (§8) and the local API ---------------------------------------------

  /** Local proposal of application entries (Normal or ConfChange). */
  propose(ents: Entry[]): void {
    if (this.role === Role.Leader) {
      this.leaderPropose(ents, false);
      return;
    }
    if (this.lead === null) throw new ProposalDroppedError(`node ${this.id} knows no leader (term ${this.term})`);
    this.send({ type: MessageType.Propose, to: this.lead, entries: ents });
  }

  private leaderPropose(ents: Entry[], remote: boolean): void {
    const drop = (reason: string): void => {
      // A forwarded proposal cannot be answered: the proposer's driver times out and retries.
      if (!remote) throw new ProposalDroppedError(reason);
    };
    if (ents.length === 0) return;
    if (!this.prs.progress.has(this.id)) return drop(`leader ${this.id} was removed from the cluster`);
    if (this.leadTransferee !== null) return drop(`leadership is being transferred to ${this.leadTransferee}`);
    const out: Entry[] = [];
    for (const e of ents) {
      if (e.type !== EntryType.ConfChange) {
        out.push({ term: 0, index: 0, type: e.type, data: e.data });
        continue;
      }
      const why = this.confChangeRefusal(decodeConfChange(e));
      if (why !== null) {
        if (!remote) throw new ConfChangeRejectedError(why);
        // Keep the log position so the forwarding node's waiter sees a different entry applied.
        out.push({ term: 0, index: 0, type: EntryType.Normal, data: EMPTY });
        continue;
      }
      out.push({ term: 0, index: 0, type: e.type, data: e.data });
      this.pendingConfIndex = this.log.lastIndex() + out.length;
    }
    this.appendEntry(out);
    this.bcastAppend();
  }

  /** Why the leader refuses this membership change now, or null. */
  private confChangeRefusal(cc: ConfChange): string | null {
    if (this.pendingConfIndex > this.log.applied) {
      return `a membership change (or the new leader's first entry, index ${this.pendingConfIndex}) is not applied yet; only one change at a time, retry shortly`;
    }
    const pr = this.prs.progress.get(cc.node);
    switch (cc.type) {
      case ConfChangeType.AddLearner:
        if (pr) return `node ${cc.node} is already a ${pr.isLearner ? 'learner' : 'voter'}`;
        return null;
      case ConfChangeType.AddVoter:
        if (!pr) return `node ${cc.node} is not a member; add it as a learner first and promote it once it caught up`;
        if (!pr.isLearner) return `node ${cc.node} is already a voter`;
        if (pr.match < this.log.committed) {
          return `learner ${cc.node} has not caught up (match ${pr.match}, commit ${this.log.committed}); retry when it has`;
        }
        return null;
      case ConfChangeType.Remove:
        if (!pr) return `node ${cc.node} is not a member`;
        if (!pr.isLearner && this.prs.voters.size === 1)
          return `node ${cc.node} is the last voter and cannot be removed`;
        return null;
      default:
        return `unknown conf change type ${String(cc.type)}`;
    }
  }

  proposeConfChange(cc: ConfChange): void {
    this.propose([{ term: 0, index: 0, type: EntryType.ConfChange, data: encodeConfChange(cc) }]);
  }

  /** ReadIndex (thesis §6.4): a read at `context` is safe once the returned index is applied. */
  readIndex(context: string): void {
    const m: Message = { type: MessageType.ReadIndex, from: this.id, to: this.id, term: 0, context };
    if (this.role === Role.Leader) {
      this.leaderReadIndex(m);
      return;
    }
    if (this.lead === null) throw new ProposalDroppedError(`node ${this.id} knows no leader to serve read ${context}`);
    this.send({ type: MessageType.ReadIndex, to: this.lead, context });
  }

  private leaderReadIndex(m: Message): void {
    if (this.prs.voters.size === 1 && this.prs.isVoter(this.id)) {
      this.respondReadIndex(m, this.log.committed);
      return;
    }
    if (!this.committedEntryInCurrentTerm()) {
      this.pendingReadIndex.push(m);
      return;
    }
    this.readOnly.add(this.log.committed, m);
    const acks = this.readOnly.recvAck(this.id, m.context ?? '');
    if (acks && this.prs.isQuorum(acks)) {
      for (const rs of this.readOnly.advance(m.context ?? '')) this.respondReadIndex(rs.req, rs.index);
      return;
    }
    this.bcastHeartbeat();
  }

  private respondReadIndex(req: Message, index: number): void {
    if (req.from === this.id) this.readStates.push({ index, context: req.context ?? '' });
    else this.send({ type: MessageType.ReadIndexResp, to: req.from, index, context: req.context ?? '' });
  }

  transferLeadership(to: NodeId): void {
    if (this.role !== Role.Leader) {
      if (this.lead === null) throw new ProposalDroppedError(`node ${this.id} knows no leader to transfer from`);
      throw new RaftError(`node ${this.id} is not the leader; ask the leader ${this.lead} to transfer leadership`);
    }
    const pr = this.prs.progress.get(to);
    if (!pr) throw new RaftError(`cannot transfer leadership to ${to}: not a member`);
    if (pr.isLearner) throw new RaftError(`cannot transfer leadership to ${to}: it is a learner`);
    if (to === this.id) return;
    if (this.leadTransferee === to) return;
    this.leadTransferee = to;
    this.electionElapsed = 0;
    if (pr.match === this.log.lastIndex()) this.sendTimeoutNow(to);
    else this.sendAppend(to);
  }

  /** Applies a committed ConfChange entry; the configuration takes effect now (as in etcd). */
  applyConfChange(cc: ConfChange): ConfState {
    const last = this.log.lastIndex();
    const pr = this.prs.progress.get(cc.node);
    switch (cc.type) {
      case ConfChangeType.AddLearner:
        if (!pr) {
          const p = new Progress(last + 1, this.cfg.maxInflightMsgs, true);
          // A new member gets one election timeout before check-quorum counts it as silent.
          p.recentActive = true;
          this.prs.progress.set(cc.node, p);
          this.prs.learners.add(cc.node);
        }
        break;
      case ConfChangeType.AddVoter:
        if (pr) {
          pr.isLearner = false;
          pr.recentActive = true;
        } else {
          const p = new Progress(last + 1, this.cfg.maxInflightMsgs, false);
          p.recentActive = true;
          this.prs.progress.set(cc.node, p);
        }
        this.prs.learners.delete(cc.node);
        this.prs.voters.add(cc.node);
        break;
      case ConfChangeType.Remove:
        this.prs.progress.delete(cc.node);
        this.prs.voters.delete(cc.node);
        this.prs.learners.delete(cc.node);
        break;
    }
    if (this.role === Role.Leader) {
      if (!this.prs.progress.has(this.id)) {
        // The removal of this leader is committed: hand over by stepping down (thesis §4.2.2).
        this.becomeFollower(this.term, null);
      } else {
        if (this.leadTransferee !== null && !this.prs.isVoter(this.leadTransferee)) this.leadTransferee = null;
        // The quorum may have changed: a smaller one can commit now.
        if (this.maybeCommit()) this.bcastAppend();
        else for (const id of this.prs.progress.keys()) this.maybeSendAppend(id, false);
      }
    }
    return this.prs.confState();
  }

  reportUnreachable(id: NodeId): void {
    const pr = this.prs.progress.get(id);
    if (this.role === Role.Leader && pr && pr.state === ProgressState.Replicate) pr.becomeProbe();
  }

  /** The transport tells whether a Snapshot message reached `id`. */
  reportSnapshot(id: NodeId, ok: boolean): void {
    const pr = this.prs.progress.get(id);
    if (this.role !== Role.Leader || !pr || pr.state !== ProgressState.Snapshot) return;
    if (!ok) pr.pendingSnapshot = 0;
    pr.becomeProbe();
    // Wait for the follower's answer (or a heartbeat answer) before probing again.
    pr.probeSent = true;
  }
}

function validateConfig(cfg: RaftConfig): void {
  const bad = (what: string): never => {
    throw new RangeError(`invalid raft config for node ${cfg.id}: ${what}`);
  };
  if (!cfg.id) bad('id must be non-empty');
  if (!(cfg.heartbeatTicks >= 1)) bad('heartbeatTicks must be >= 1');
  if (!(cfg.electionTicks > cfg.heartbeatTicks)) bad('electionTicks must be greater than heartbeatTicks');
  if (!(cfg.maxInflightMsgs >= 1)) bad('maxInflightMsgs must be >= 1');
  if (!(cfg.maxSizePerMsg >= 1)) bad('maxSizePerMsg must be >= 1');
  if (typeof cfg.random !== 'function') bad('random must be a function returning [0, 1)');
}
