// Errors of a manager node's swarm membership, with docker's texts.
import { ManagerError } from '../errors';

/** No Raft leader (no quorum): docker's text, 503 at the API edge. */
export class NoLeaderError extends ManagerError {
  constructor(options?: { cause?: unknown }) {
    super(
      "The swarm does not have a leader. It's possible that too few managers are online. Make sure more than half of the managers are online.",
      503,
      options,
    );
  }
}

/** A membership change docker refuses (demoting the last manager, losing quorum): 400 at the edge. */
export class MembershipError extends ManagerError {
  constructor(message: string) {
    super(message, 400);
  }
}

/** This node is not a manager (or not in a swarm at all): docker's text, 503 at the edge. */
export class NotSwarmManagerError extends ManagerError {
  constructor(opts: { worker?: boolean } = {}) {
    super(
      opts.worker
        ? "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state. Please run this command on a manager node or promote the current node to a manager."
        : 'This node is not a swarm manager. Use "flotilla swarm init" or "flotilla swarm join" to connect this node to swarm and try again.',
      503,
    );
  }
}

/** A follower's forwarded write whose leader went away: applied or not, nobody can tell. */
export class LeaderChangedError extends ManagerError {
  constructor() {
    super(
      'the swarm leader changed while this request was in flight, so it may or may not have been applied: check, then retry',
      503,
    );
  }
}
