// The API the I/O shell drives (etcd's RawNode): feed it ticks, messages and proposals; take a
// Ready, do what it says in the documented order, then advance().
import {
  EntryType,
  MessageType,
  Role,
  type ConfChange,
  type ConfState,
  type HardState,
  type LogStorage,
  type Message,
  type NodeId,
  type RaftConfig,
  type Ready,
  type SoftState,
} from '../types';
import { RaftUsageError } from './errors';
import { type ProgressState } from './progress';
import { Raft } from './raft';

/** Leader-only messages that promise nothing about the sender's own durable state. */
const EARLY = new Set<MessageType>([
  MessageType.Append,
  MessageType.Heartbeat,
  MessageType.Snapshot,
  MessageType.TimeoutNow,
]);

export interface PeerProgress {
  match: number;
  next: number;
  state: ProgressState;
  learner: boolean;
  recentActive: boolean;
  inflight: number;
}

export interface RaftStatus {
  id: NodeId;
  term: number;
  vote: NodeId | null;
  commit: number;
  applied: number;
  leader: NodeId | null;
  role: Role;
  conf: ConfState;
  lastIndex: number;
  leadTransferee: NodeId | null;
  /** Only on the leader. */
  progress?: Record<NodeId, PeerProgress>;
}

export class RawNode {
  private readonly raft: Raft;
  private prevSoft: SoftState;
  private prevHard: HardState;
  private outstanding = false;
  private readonly parallel: boolean;

  constructor(config: RaftConfig, storage: LogStorage) {
    this.raft = new Raft(config, storage);
    this.parallel = config.parallelLeaderWrites === true;
    this.prevSoft = this.softState();
    this.prevHard = this.hardState();
  }

  get id(): NodeId {
    return this.raft.id;
  }

  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (pre-vote first when enabled). */
  campaign(): void {
    this.raft.hup(false);
  }

  /** Feeds a message from another node. Messages for another node are ignored. */
  step(msg: Message): void {
    if (msg.to !== this.raft.id) return;
    this.raft.step(msg);
  }

  /** Proposes application data; throws ProposalDroppedError when no leader can take it now. */
  propose(data: Uint8Array): void {
    this.raft.propose([{ term: 0, index: 0, type: EntryType.Normal, data }]);
  }

  /** Proposes several entries as one append (one message per follower instead of one each). */
  proposeBatch(data: Uint8Array[]): void {
    this.raft.propose(data.map((d) => ({ term: 0, index: 0, type: EntryType.Normal, data: d })));
  }

  /**
   * Proposes a single-server membership change. On the leader it throws ConfChangeRejectedError
   * when another change is pending or the change is unsafe (promote a learner that lags, etc.).
   */
  proposeConfChange(cc: ConfChange): void {
    this.raft.proposeConfChange(cc);
  }

  /** Call when a committed ConfChange entry is applied; returns the configuration now in force. */
  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  transferLeadership(to: NodeId): void {
    this.raft.transferLeadership(to);
  }

  /**
   * Requests a linearizable read point. `context` must be unique cluster-wide (e.g. node id and a
   * counter); a ReadState with it appears in a later Ready: read once `applied >= index`. If
   * leadership changes first, no ReadState comes: time the read out and retry.
   */
  readIndex(context: string): void {
    this.raft.readIndex(context);
  }

  reportUnreachable(id: NodeId): void {
    this.raft.reportUnreachable(id);
  }

  reportSnapshot(id: NodeId, ok: boolean): void {
    this.raft.reportSnapshot(id, ok);
  }

  hasReady(): boolean {
    if (this.outstanding) return false;
    const r = this.raft;
    const u = r.log.unstable;
    return (
      u.entries.length > 0 ||
      u.snapshot !== null ||
      r.msgs.length > 0 ||
      r.readStates.length > 0 ||
      r.log.hasNextCommittedEnts() ||
      !sameSoft(this.softState(), this.prevSoft) ||
      !sameHard(this.hardState(), this.prevHard)
    );
  }

  /** What to persist, send and apply (see Ready in types.ts). Call advance() before the next one. */
  ready(): Ready {
    if (this.outstanding)
      throw new RaftUsageError('ready() called again before advance(): finish the previous Ready first');
    const r = this.raft;
    const rd: Ready = {
      entries: r.log.unstable.entries.slice(),
      committedEntries: r.log.nextCommittedEnts(),
      messages: r.msgs,
      readStates: r.readStates,
    };
    r.msgs = [];
    r.readStates = [];
    if (this.parallel) {
      rd.messagesBeforePersist = rd.messages.filter((m) => EARLY.has(m.type));
      rd.messages = rd.messages.filter((m) => !EARLY.has(m.type));
    }
    if (r.log.unstable.snapshot) rd.snapshot = r.log.unstable.snapshot;
    const soft = this.softState();
    if (!sameSoft(soft, this.prevSoft)) {
      rd.softState = soft;
      this.prevSoft = soft;
    }
    const hard = this.hardState();
    if (!sameHard(hard, this.prevHard)) {
      rd.hardState = hard;
      this.prevHard = hard;
    }
    this.outstanding = true;
    return rd;
  }

  /** The Ready was persisted, sent and applied. */
  advance(rd: Ready): void {
    if (!this.outstanding) throw new RaftUsageError('advance() called without an outstanding Ready');
    this.outstanding = false;
    const log = this.raft.log;
    const last = rd.entries.at(-1);
    if (last) {
      log.stableTo(last.index, last.term);
      this.raft.onPersisted(last.index, last.term);
    }
    if (rd.snapshot) {
      log.stableSnapTo(rd.snapshot.meta.index);
      log.appliedTo(rd.snapshot.meta.index);
    }
    const lastApplied = rd.committedEntries.at(-1);
    if (lastApplied) log.appliedTo(lastApplied.index);
  }

  /** Term of this node's log entry at `index` (0 past the end); throws CompactedError if compacted. */
  logTerm(index: number): number {
    return this.raft.log.term(index);
  }

  status(): RaftStatus {
    const r = this.raft;
    const s: RaftStatus = {
      id: r.id,
      term: r.term,
      vote: r.vote,
      commit: r.log.committed,
      applied: r.log.applied,
      leader: r.lead,
      role: r.role,
      conf: r.prs.confState(),
      lastIndex: r.log.lastIndex(),
      leadTransferee: r.leadTransferee,
    };
    if (r.role === Role.Leader) {
      s.progress = {};
      for (const [id, pr] of r.prs.progress) {
        s.progress[id] = {
          match: pr.match,
          next: pr.next,
          state: pr.state,
          learner: pr.isLearner,
          recentActive: pr.recentActive,
          inflight: pr.inflights.count(),
        };
      }
    }
    return s;
  }

  private softState(): SoftState {
    return { leader: this.raft.lead, role: this.raft.role };
  }

  private hardState(): HardState {
    return { term: this.raft.term, vote: this.raft.vote, commit: this.raft.log.committed };
  }
}

function sameSoft(a: SoftState, b: SoftState): boolean {
  return a.leader === b.leader && a.role === b.role;
}

function sameHard(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}
