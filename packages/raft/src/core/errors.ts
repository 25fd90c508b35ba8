// Named Raft errors. Messages say what went wrong and what the caller can do about it.

export class RaftError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A proposal (or read) was not accepted; nothing was appended. Retry, ideally on the leader. */
export class ProposalDroppedError extends RaftError {
  constructor(reason: string) {
    super(`raft proposal dropped: ${reason}; retry later or on the current leader`);
  }
}

/** A membership change was refused by the leader's rules (one at a time, learners catch up first). */
export class ConfChangeRejectedError extends RaftError {}

/** The requested log index was compacted into a snapshot. */
export class CompactedError extends RaftError {
  constructor(index: number, firstIndex: number) {
    super(`raft log index ${index} is compacted (first available index is ${firstIndex}); use the snapshot`);
  }
}

/** The requested log index is beyond the last stored entry. */
export class UnavailableError extends RaftError {
  constructor(index: number, lastIndex: number) {
    super(`raft log index ${index} is not available (last index is ${lastIndex})`);
  }
}

/** A snapshot older than the one already stored was offered. */
export class SnapshotOutOfDateError extends RaftError {
  constructor(index: number, current: number) {
    super(`raft snapshot at index ${index} is older than the stored snapshot at ${current}`);
  }
}

/** The API was used out of order (e.g. ready() twice without advance()): a bug in the caller. */
export class RaftUsageError extends RaftError {}
