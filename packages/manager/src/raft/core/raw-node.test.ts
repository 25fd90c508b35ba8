// Smoke tests of the RawNode API over a synchronous cluster.
import { Cluster } from '../sim/cluster';
import { ProposalDroppedError, RaftUsageError } from './errors';
import { MemoryStorage } from './memory-storage';
import { RawNode } from './raw-node';

describe('RawNode', () => {
  test('a three-node cluster elects a leader and replicates a proposal to all', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.campaign('a');
    c.stabilize();
    expect(c.leader()).toBe('a');
    c.propose('a', 'x=1');
    c.stabilize();
    for (const id of ['a', 'b', 'c']) expect(c.appliedData(id)).toEqual(['x=1']);
  });

  test('a follower forwards proposals to the leader', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.campaign('a');
    c.stabilize();
    c.propose('b', 'from-b');
    c.stabilize();
    expect(c.appliedData('c')).toEqual(['from-b']);
  });

  test('propose without a leader throws ProposalDroppedError', () => {
    const c = new Cluster(['a', 'b', 'c']);
    expect(() => c.propose('a', 'x')).toThrow(ProposalDroppedError);
  });

  test('ready() twice without advance() is a usage error', () => {
    const s = MemoryStorage.bootstrap(['a']);
    const n = new RawNode({ id: 'a', electionTicks: 10, heartbeatTicks: 1, preVote: false, checkQuorum: false, maxSizePerMsg: 1 << 20, maxInflightMsgs: 8, random: () => 0 }, s);
    n.campaign();
    expect(n.hasReady()).toBe(true);
    n.ready();
    expect(() => n.ready()).toThrow(RaftUsageError);
  });

  test('a single node commits its own proposals at once', () => {
    const c = new Cluster(['a']);
    c.campaign('a');
    c.propose('a', 'solo');
    expect(c.appliedData('a')).toEqual(['solo']);
    expect(c.node('a').raw.status()).toMatchObject({ role: 'leader', leader: 'a', term: 2 });
  });
});
