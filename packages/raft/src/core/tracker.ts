// Membership and per-peer progress as the leader (or candidate) tracks them. Single-server
// changes only (thesis §4.1), so one voter set and majorities over it.
import type { ConfState, NodeId } from '../types';
import { Progress } from './progress';

export enum VoteResult {
  Pending = 'pending',
  Won = 'won',
  Lost = 'lost',
}

export class ProgressTracker {
  voters = new Set<NodeId>();
  learners = new Set<NodeId>();
  readonly progress = new Map<NodeId, Progress>();
  private votes = new Map<NodeId, boolean>();

  constructor(private readonly maxInflight: number) {}

  /** Replaces the configuration (start-up, snapshot restore); progress restarts from `lastIndex`. */
  setConf(conf: ConfState, lastIndex: number): void {
    this.voters = new Set(conf.voters);
    this.learners = new Set(conf.learners.filter((id) => !this.voters.has(id)));
    this.progress.clear();
    for (const id of this.voters) this.progress.set(id, new Progress(lastIndex + 1, this.maxInflight, false));
    for (const id of this.learners) this.progress.set(id, new Progress(lastIndex + 1, this.maxInflight, true));
  }

  confState(): ConfState {
    return { voters: [...this.voters].sort(), learners: [...this.learners].sort() };
  }

  isVoter(id: NodeId): boolean {
    return this.voters.has(id);
  }

  quorum(): number {
    return Math.floor(this.voters.size / 2) + 1;
  }

  /** The highest index replicated on a majority of voters. */
  committed(): number {
    const matches: number[] = [];
    for (const id of this.voters) matches.push(this.progress.get(id)?.match ?? 0);
    matches.sort((a, b) => b - a);
    // The quorum-th highest match; no voters at all: nothing is committed.
    return matches[this.quorum() - 1] ?? 0;
  }

  isQuorum(ids: Iterable<NodeId>): boolean {
    let n = 0;
    for (const id of ids) if (this.voters.has(id)) n++;
    return this.voters.size > 0 && n >= this.quorum();
  }

  /** Check-quorum (thesis §6.2): a majority of voters was heard from recently. */
  quorumActive(self: NodeId): boolean {
    const active: NodeId[] = [];
    for (const id of this.voters) {
      if (id === self || this.progress.get(id)?.recentActive) active.push(id);
    }
    return this.isQuorum(active);
  }

  resetVotes(): void {
    this.votes = new Map();
  }

  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): VoteResult {
    let granted = 0;
    let rejected = 0;
    for (const id of this.voters) {
      const v = this.votes.get(id);
      if (v === true) granted++;
      else if (v === false) rejected++;
    }
    const q = this.quorum();
    if (granted >= q) return VoteResult.Won;
    if (this.voters.size - rejected < q) return VoteResult.Lost;
    return VoteResult.Pending;
  }

  votesSnapshot(): Record<NodeId, boolean> {
    return Object.fromEntries(this.votes);
  }
}
