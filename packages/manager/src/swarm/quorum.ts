import { Role, type RaftNodeStatus } from '@flotilla/raft';

export type Reachability = 'reachable' | 'unreachable' | 'unknown';

/**
 * Whether removing `id` leaves a reachable majority of the remaining voters (swarmkit's
 * CanRemoveMember): demoting or removing a manager must not cost the swarm its quorum.
 */
export function canRemoveMember(voters: { id: string; reachable: boolean }[], id: string): boolean {
  const rest = voters.filter((v) => v.id !== id);
  if (rest.length === 0) return false;
  const reachable = rest.filter((v) => v.reachable).length;
  return reachable >= Math.floor(rest.length / 2) + 1;
}

/**
 * Waits until the quorum check can be trusted, and answers it. "Unreachable" means "not heard
 * from within `windowMs`", which a leader younger than that cannot judge yet: its connections to
 * the others may still be opening (after a leadership transfer, or when a peer just restarted).
 * So a young leader polls until the check passes, its leadership is `windowMs` old, or it is no
 * longer the leader (the caller then asks again); a mature leader answers at once.
 */
export async function settledQuorumCheck(o: {
  quorumKept: () => boolean;
  leaderAgeMs: () => number;
  isLeader: () => boolean;
  windowMs: number;
  pollMs: number;
  sleep?: (ms: number) => Promise<void>;
}): Promise<boolean> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  while (!o.quorumKept() && o.leaderAgeMs() < o.windowMs && o.isLeader()) await sleep(o.pollMs);
  return o.quorumKept();
}

/**
 * How this manager sees another manager: the leader from Raft's progress (`activeRecently`: the
 * member answered within about an election timeout); a follower knows that itself and the leader
 * are reachable and takes the rest from the node's liveness as the dispatcher reported it.
 */
export function reachabilityOf(
  id: string,
  st: Pick<RaftNodeStatus, 'id' | 'role' | 'leader' | 'members'>,
  seen: { activeRecently: boolean; nodeDown: boolean },
): Reachability {
  const member = st.members.find((m) => m.id === id);
  // A manager that left Raft (swarm leave --force) but was not demoted yet, or is still joining.
  if (!member) return 'unreachable';
  if (id === st.id) return 'reachable';
  if (st.role === Role.Leader) return seen.activeRecently ? 'reachable' : 'unreachable';
  if (id === st.leader) return 'reachable';
  return seen.nodeDown ? 'unreachable' : 'reachable';
}
