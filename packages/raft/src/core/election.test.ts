// §5.2 Leader election, with the thesis' pre-vote (§9.6), check-quorum and leader stickiness
// (§6.2, §4.2.3) and leadership transfer (§3.10).
import { Cluster } from '../sim/cluster';
import { MessageType, Role } from '../types';
import { MemoryStorage } from './memory-storage';
import { RawNode } from './raw-node';

const role = (c: Cluster, id: string): Role => c.node(id).raw.status().role;
const term = (c: Cluster, id: string): number => c.node(id).raw.status().term;

describe('§5.2 leader election', () => {
  test('§5.2: a follower that hears nothing for an election timeout campaigns and wins a majority', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.tick('a', 9);
    expect(role(c, 'a')).toBe(Role.Follower);
    c.tick('a', 1);
    expect(role(c, 'a')).toBe(Role.Candidate);
    expect(
      c
        .pending(MessageType.Vote)
        .map((m) => m.to)
        .sort(),
    ).toEqual(['b', 'c']);
    c.stabilize();
    expect(c.leader()).toBe('a');
    expect(term(c, 'b')).toBe(2);
  });

  test('§5.2: election timeouts are randomized in [electionTicks, 2*electionTicks)', () => {
    const s = MemoryStorage.bootstrap(['a', 'b', 'c']);
    const n = new RawNode(
      {
        id: 'a',
        electionTicks: 10,
        heartbeatTicks: 1,
        preVote: false,
        checkQuorum: false,
        maxSizePerMsg: 1 << 20,
        maxInflightMsgs: 4,
        random: () => 0.95,
      },
      s,
    );
    for (let i = 0; i < 18; i++) n.tick();
    expect(n.status().role).toBe(Role.Follower);
    n.tick();
    expect(n.status().role).toBe(Role.Candidate);
  });

  test('§5.2: a node grants at most one vote per term, and persists it before answering', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.campaign('a');
    c.campaign('b'); // same term 2: c must choose one
    c.deliver((m) => m.type === MessageType.Vote && m.to === 'c');
    const answers = c.pending(MessageType.VoteResp).filter((m) => m.from === 'c');
    expect(answers.filter((m) => !m.reject)).toHaveLength(1);
    expect(c.node('c').storage.hardState().vote).toBe(answers.find((m) => !m.reject)?.to);
  });

  test('§5.2: a candidate that hears from a leader of a term at least its own becomes a follower', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.campaign('a');
    c.stabilize();
    c.isolate('b');
    c.campaign('b');
    expect(role(c, 'b')).toBe(Role.Candidate);
    c.heal();
    c.queue = [];
    // a leader at b's term: let b win nothing, then hear an append from a newer-term leader
    c.campaign('c');
    c.stabilize();
    expect(role(c, 'b')).toBe(Role.Follower);
    expect(c.leader()).toBe('c');
  });

  test('§5.2: split votes are resolved by a later election', () => {
    const c = new Cluster(['a', 'b', 'c', 'd']);
    c.campaign('a');
    c.campaign('b');
    c.deliver(
      (m) => m.type === MessageType.Vote && ((m.from === 'a' && m.to === 'c') || (m.from === 'b' && m.to === 'd')),
    );
    c.stabilize();
    expect(c.leader()).toBeNull(); // 2 votes each of 4: no majority
    c.campaign('c');
    c.stabilize();
    expect(c.leader()).toBe('c');
  });
});

describe('thesis §9.6 pre-vote, §6.2 check-quorum, §4.2.3 leader stickiness', () => {
  test('§9.6: a partitioned node with pre-vote does not raise its term and cannot disrupt the leader', () => {
    const c = new Cluster(['a', 'b', 'c'], { preVote: true });
    c.campaign('a');
    c.stabilize();
    c.isolate('c');
    for (let i = 0; i < 5; i++) c.tick('c', 20);
    expect(role(c, 'c')).toBe(Role.PreCandidate);
    expect(term(c, 'c')).toBe(2);
    c.heal();
    c.queue = [];
    c.tick('a');
    c.stabilize();
    expect(c.leader()).toBe('a');
    expect(term(c, 'a')).toBe(2);
  });

  test('§9.6: without pre-vote the same partition forces a new term', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.campaign('a');
    c.stabilize();
    c.isolate('c');
    c.tick('c', 10);
    expect(term(c, 'c')).toBe(3);
  });

  test('§6.2: a leader that hears from no majority for an election timeout steps down', () => {
    const c = new Cluster(['a', 'b', 'c'], { checkQuorum: true });
    c.campaign('a');
    c.stabilize();
    c.isolate('a');
    c.tick('a', 10);
    expect(role(c, 'a')).toBe(Role.Leader); // recent activity from the last round still counts
    c.tick('a', 10);
    expect(role(c, 'a')).toBe(Role.Follower);
  });

  test('§4.2.3: followers with a live leader ignore vote requests (check-quorum lease)', () => {
    const c = new Cluster(['a', 'b', 'c'], { checkQuorum: true });
    c.campaign('a');
    c.stabilize();
    c.campaign('c');
    c.stabilize();
    expect(c.leader()).toBe('a');
    expect(term(c, 'b')).toBe(2);
  });

  test('§3.10: leadership transfer sends TimeoutNow once the target is caught up', () => {
    const c = new Cluster(['a', 'b', 'c'], { checkQuorum: true });
    c.campaign('a');
    c.stabilize();
    c.node('a').raw.transferLeadership('c');
    c.process('a');
    expect(c.pending(MessageType.TimeoutNow).map((m) => m.to)).toEqual(['c']);
    c.stabilize();
    expect(c.leader()).toBe('c');
  });

  test('§3.10: a lagging transfer target is caught up first; proposals are refused meanwhile', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.campaign('a');
    c.stabilize();
    c.isolate('c');
    c.propose('a', 'x');
    c.stabilize();
    c.heal();
    c.node('a').raw.transferLeadership('c');
    c.process('a');
    expect(c.pending(MessageType.TimeoutNow)).toHaveLength(0);
    expect(() => c.propose('a', 'y')).toThrow(/being transferred/);
    c.stabilize();
    expect(c.leader()).toBe('c');
    expect(c.appliedData('c')).toEqual(['x']);
  });
});
