import {
  LeadershipLostError,
  NotLeaderError,
  ProposalTimeoutError,
  RaftAbortedError,
  Role,
  type RaftNode,
  type StateMachine,
} from '@flotilla/raft';
import type { ApplyResult, Proposer, Store } from '../store/store';
import { LeaderChangedError, NoLeaderError } from './errors';

/** The store as Raft's state machine: every manager applies the same entries in the same order. */
export function storeStateMachine(store: () => Store): StateMachine<ApplyResult> {
  return {
    apply: (data, index) => store().applyEntry(index, data),
    snapshot: () => store().snapshot(),
    restore: (data) => store().restore(data, store().applied),
  };
}

/**
 * Store writes go through the Raft log (one transaction = one proposal); a follower forwards them
 * to the leader. Without a leader they fail at once with docker's text; a forwarded write whose
 * leader changes fails as soon as the change is known instead of waiting out the timeout.
 */
export class RaftProposer implements Proposer {
  constructor(private readonly raft: () => RaftNode<ApplyResult>) {}

  async propose(data: Uint8Array, opts: { signal?: AbortSignal } = {}): Promise<unknown> {
    const raft = this.raft();
    const st = raft.status();
    if (st.leader === null) throw new NoLeaderError();
    if (st.role === Role.Leader) return this.mapped(raft, () => raft.propose(data, opts));
    const changed = new AbortController();
    const onLeader = () => changed.abort(new LeaderChangedError());
    raft.once('leader', onLeader);
    const signal = opts.signal ? AbortSignal.any([opts.signal, changed.signal]) : changed.signal;
    try {
      return await this.mapped(raft, () => raft.propose(data, { signal }));
    } finally {
      raft.off('leader', onLeader);
    }
  }

  private async mapped<T>(raft: RaftNode<ApplyResult>, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const noLeader = raft.status().leader === null;
      if (e instanceof NotLeaderError && e.leader === null) throw new NoLeaderError({ cause: e });
      if (
        (e instanceof ProposalTimeoutError || e instanceof LeadershipLostError || e instanceof RaftAbortedError) &&
        noLeader
      )
        throw new NoLeaderError({ cause: e });
      if (e instanceof RaftAbortedError && e.cause instanceof LeaderChangedError) throw e.cause;
      throw e;
    }
  }
}
