import { EventEmitter } from 'node:events';
import { NotLeaderError, ProposalTimeoutError, RaftAbortedError, Role, type RaftNode } from '@flotilla/raft';
import type { ApplyResult } from '../store/store';
import { NoLeaderError } from './errors';
import { LeaderChangedError } from './errors';
import { RaftProposer } from './raft-store';

/** Just enough of a RaftNode: its view of the leader, and a propose the test settles. */
class FakeRaft extends EventEmitter {
  leader: string | null = 'a';
  role = Role.Follower;
  onPropose: (opts: { signal?: AbortSignal }) => Promise<unknown> = () => Promise.resolve({ ok: true });
  status() {
    return { leader: this.leader, role: this.role };
  }
  propose(_data: Uint8Array, opts: { signal?: AbortSignal } = {}) {
    return this.onPropose(opts);
  }
}

const proposer = (raft: FakeRaft) => new RaftProposer(() => raft as unknown as RaftNode<ApplyResult>);

test('no leader: refused at once with docker text', async () => {
  const raft = new FakeRaft();
  raft.leader = null;
  await expect(proposer(raft).propose(new Uint8Array(1))).rejects.toThrow(NoLeaderError);
  await expect(proposer(raft).propose(new Uint8Array(1))).rejects.toThrow(
    "The swarm does not have a leader. It's possible that too few managers are online. Make sure more than half of the managers are online.",
  );
});

test('a forwarded write whose leader changes fails as soon as the change is known', async () => {
  const raft = new FakeRaft();
  raft.onPropose = (opts) =>
    new Promise((_resolve, reject) =>
      opts.signal!.addEventListener('abort', () => reject(new RaftAbortedError(opts.signal!.reason))),
    );
  const p = proposer(raft).propose(new Uint8Array(1));
  raft.leader = 'b';
  raft.emit('leader', 'b', 3);
  await expect(p).rejects.toBeInstanceOf(LeaderChangedError);
});

test('a forwarded write whose leader is gone maps to the no-leader error; one that is applied resolves', async () => {
  const raft = new FakeRaft();
  raft.onPropose = async () => {
    raft.leader = null;
    throw new ProposalTimeoutError(10);
  };
  await expect(proposer(raft).propose(new Uint8Array(1))).rejects.toThrow(NoLeaderError);
  raft.leader = 'a';
  raft.onPropose = async () => ({ ok: true });
  await expect(proposer(raft).propose(new Uint8Array(1))).resolves.toEqual({ ok: true });
  expect(raft.listenerCount('leader')).toBe(0);
});

test('on the leader, a NotLeaderError without a leader (it stepped down) is the no-leader error', async () => {
  const raft = new FakeRaft();
  raft.role = Role.Leader;
  raft.onPropose = async () => {
    throw new NotLeaderError(null, null);
  };
  await expect(proposer(raft).propose(new Uint8Array(1))).rejects.toThrow(NoLeaderError);
});
