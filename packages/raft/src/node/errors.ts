// Errors of the Raft driver. Map them to gRPC codes / HTTP status only at the edge.
import { type NodeId } from '../types';

export class RaftNodeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** This node cannot take the request; `leader`/`leaderAddress` say where to send it (null: no leader now). */
export class NotLeaderError extends RaftNodeError {
  constructor(
    readonly leader: NodeId | null,
    readonly leaderAddress: string | null,
    options?: { cause?: unknown },
  ) {
    super(
      leader
        ? `this manager is not the raft leader; send the request to the leader ${leader}${leaderAddress ? ` at ${leaderAddress}` : ''}`
        : 'the raft cluster has no leader right now (an election is in progress or a quorum of managers is down); retry shortly',
      options,
    );
  }
}

/** The entry was not applied within the deadline; it may still be applied later. */
export class ProposalTimeoutError extends RaftNodeError {
  constructor(readonly timeoutMs: number) {
    super(
      `raft proposal not applied within ${timeoutMs} ms; it may still be applied later. Check that a quorum of ` +
        'managers is up (flotilla node ls), then retry idempotently',
    );
  }
}

/** A new leader overwrote the entry (it was never applied), or its fate is unknown after a snapshot. */
export class LeadershipLostError extends RaftNodeError {
  constructor(detail: string) {
    super(`raft leadership changed before the request completed: ${detail}; retry the request`);
  }
}

export class NodeStoppedError extends RaftNodeError {
  constructor() {
    super('the raft node is stopped; start it again to serve requests');
  }
}

/** The caller's AbortSignal fired. */
export class RaftAbortedError extends RaftNodeError {
  constructor(cause?: unknown) {
    super('raft request aborted by the caller', { cause });
  }
}
