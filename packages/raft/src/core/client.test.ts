// §8 Client interaction: linearizable reads with ReadIndex (thesis §6.4), proposals and forwarding.
import { Cluster } from '../sim/cluster';
import { MessageType } from '../types';
import { ProposalDroppedError } from './errors';

function threeNodes(): Cluster {
  const c = new Cluster(['a', 'b', 'c']);
  c.campaign('a');
  c.stabilize();
  return c;
}

describe('§8 client interaction', () => {
  test('§8: a ReadIndex on the leader is answered only after a heartbeat round confirms leadership', () => {
    const c = threeNodes();
    c.propose('a', 'x');
    c.stabilize();
    c.node('a').raw.readIndex('r1');
    c.process('a');
    expect(c.node('a').readStates).toEqual([]);
    const beats = c.pending(MessageType.Heartbeat);
    expect(beats.every((m) => m.context === 'r1')).toBe(true);
    c.deliver((m) => m.type === MessageType.Heartbeat);
    c.deliver((m) => m.type === MessageType.HeartbeatResp && m.from === 'b');
    expect(c.node('a').readStates).toEqual([{ index: c.node('a').raw.status().commit, context: 'r1' }]);
  });

  test('§8: a deposed leader that cannot reach a majority never answers a read', () => {
    const c = threeNodes();
    c.isolate('a');
    c.node('a').raw.readIndex('stale');
    c.process('a');
    c.stabilize();
    c.campaign('b');
    c.stabilize();
    c.propose('b', 'newer');
    c.stabilize();
    expect(c.node('a').readStates).toEqual([]);
  });

  test("§8: a follower's ReadIndex is forwarded and answered with the leader's commit index", () => {
    const c = threeNodes();
    c.propose('a', 'x');
    c.stabilize();
    c.node('c').raw.readIndex('from-c');
    c.process('c');
    expect(c.pending(MessageType.ReadIndex)).toMatchObject([{ from: 'c', to: 'a', context: 'from-c' }]);
    c.stabilize();
    expect(c.node('c').readStates).toEqual([{ index: c.node('a').raw.status().commit, context: 'from-c' }]);
  });

  test('§8: a new leader defers reads until the no-op of its term commits', () => {
    const c = threeNodes();
    c.campaign('b');
    c.deliver((m) => m.type === MessageType.Vote);
    c.deliver((m) => m.type === MessageType.VoteResp);
    c.node('b').raw.readIndex('early');
    c.process('b');
    expect(c.pending(MessageType.Heartbeat).some((m) => m.context === 'early')).toBe(false);
    c.stabilize();
    c.tick('b');
    c.stabilize();
    const st = c.node('b').raw.status();
    expect(c.node('b').readStates).toEqual([{ index: st.commit, context: 'early' }]);
    expect(c.node('b').raw.logTerm(st.commit)).toBe(st.term);
  });

  test('§8: proposals go through the leader; without one they are refused, not lost silently', () => {
    const c = new Cluster(['a', 'b', 'c']);
    expect(() => c.node('b').raw.propose(new Uint8Array([1]))).toThrow(ProposalDroppedError);
    expect(() => c.node('b').raw.readIndex('r')).toThrow(ProposalDroppedError);
    c.campaign('a');
    c.stabilize();
    c.propose('b', 'via-b');
    expect(c.pending(MessageType.Propose)).toMatchObject([{ from: 'b', to: 'a', term: 0 }]);
    c.stabilize();
    expect(c.appliedData('a')).toEqual(['via-b']);
  });
});
