/** No Raft leader (no quorum): docker's text, 503 at the API edge. */
export class NoLeaderError extends Error {
  readonly status = 503;
  constructor(options?: { cause?: unknown }) {
    super(
      "The swarm does not have a leader. It's possible that too few managers are online. Make sure more than half of the managers are online.",
      options,
    );
    this.name = 'NoLeaderError';
  }
}

/** A membership change docker refuses (demoting the last manager, losing quorum): 400 at the edge. */
export class MembershipError extends Error {
  readonly status = 400;
  constructor(message: string) {
    super(message);
    this.name = 'MembershipError';
  }
}
