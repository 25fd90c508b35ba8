// Waiting out an election: whether this manager's Raft knows a leader now or within a bound.
import type { RaftNode } from '@flotilla/raft';

/** Resolves true once a leader is known (at once if one is), false when `ms` pass without one. */
export function leaderWithin(raft: RaftNode<unknown>, ms: number): Promise<boolean> {
  if (raft.status().leader !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      raft.off('leader', onLeader);
      resolve(raft.status().leader !== null);
    };
    const onLeader = (leader: string | null) => {
      if (leader !== null) done();
    };
    const timer = setTimeout(done, ms);
    raft.on('leader', onLeader);
  });
}
