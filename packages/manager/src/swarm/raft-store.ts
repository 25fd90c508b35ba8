import type { RaftNode, StateMachine } from '../raft';
import type { ApplyResult, Proposer, Store } from '../store/store';

/** The store as Raft's state machine: every manager applies the same entries in the same order. */
export function storeStateMachine(store: () => Store): StateMachine<ApplyResult> {
  return {
    apply: (data, index) => store().applyEntry(index, data),
    snapshot: () => store().snapshot(),
    restore: (data) => store().restore(data, store().applied),
  };
}

/** Store writes go through the Raft log (one transaction = one proposal). */
export class RaftProposer implements Proposer {
  constructor(private readonly raft: () => RaftNode<ApplyResult>) {}

  propose(data: Uint8Array, opts?: { signal?: AbortSignal }): Promise<unknown> {
    return this.raft().propose(data, opts);
  }
}
