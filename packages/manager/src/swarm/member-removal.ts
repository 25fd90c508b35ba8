// Taking a manager out of Raft, refused like docker when it is the last manager or when the
// remaining reachable managers would not make a quorum. A follower forwards the request to the
// leader; the leader hands leadership over before removing itself.
import { Role, type RaftNode } from '@flotilla/raft';
import type { ApplyResult } from '../store/store';
import { MembershipError, NoLeaderError } from './errors';
import { canRemoveMember, settledQuorumCheck } from './quorum';

export interface MemberRemovalContext {
  selfId: string;
  raft: Pick<RaftNode<ApplyResult>, 'status' | 'transferLeadership' | 'removeMember'>;
  /** Whether the leader heard from `id` recently (reachability 'reachable'). */
  reachable(id: string): boolean;
  leaderAgeMs(): number;
  /** A follower asks the leader (RaftMembership.Leave). */
  forwardToLeader(nodeId: string, leaderAddress: string | null): Promise<void>;
  /** How long a leader must have led before "unreachable" can be trusted, and how often to look again. */
  windowMs: number;
  pollMs: number;
}

const LOSS_OF_QUORUM = "can't remove member from the raft: this would result in a loss of quorum";

export async function removeRaftMember(ctx: MemberRemovalContext, nodeId: string): Promise<void> {
  const { raft } = ctx;
  const st = raft.status();
  if (!st.members.some((m) => m.id === nodeId)) return;
  if (st.role !== Role.Leader) {
    if (st.leader === null) throw new NoLeaderError();
    await ctx.forwardToLeader(nodeId, st.leaderAddress);
    return;
  }
  const voters = st.members.filter((m) => m.voter);
  if (voters.length === 1 && voters[0]?.id === nodeId)
    throw new MembershipError('attempting to demote the last manager of the swarm');
  const isLeader = () => raft.status().role === Role.Leader;
  const kept = await settledQuorumCheck({
    quorumKept: () =>
      canRemoveMember(
        voters.map((v) => ({ id: v.id, reachable: ctx.reachable(v.id) })),
        nodeId,
      ),
    isLeader,
    leaderAgeMs: ctx.leaderAgeMs,
    windowMs: ctx.windowMs,
    pollMs: ctx.pollMs,
  });
  if (!isLeader()) return removeRaftMember(ctx, nodeId);
  if (!kept) throw new MembershipError(LOSS_OF_QUORUM);
  if (nodeId === ctx.selfId) {
    // The quorum check just found a reachable other voter; one that went away since leaves none to lead.
    const to = voters.find((v) => v.id !== nodeId && ctx.reachable(v.id));
    if (!to) throw new MembershipError(LOSS_OF_QUORUM);
    raft.transferLeadership(to.id);
    const t0 = Date.now();
    while (raft.status().role === Role.Leader) {
      if (Date.now() - t0 > 5000) throw new NoLeaderError();
      await new Promise((r) => setTimeout(r, 10));
    }
    return removeRaftMember(ctx, nodeId);
  }
  await raft.removeMember(nodeId, { timeoutMs: 10_000 });
}
