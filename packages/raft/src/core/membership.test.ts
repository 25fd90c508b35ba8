// §6 Cluster membership changes, one server at a time (thesis §4.1-§4.2): learners catch up
// before they vote, one change is pending at a time, a removed leader steps down.
import { Cluster } from '../sim/cluster';
import { ConfChangeType, Role } from '../types';
import { ConfChangeRejectedError } from './errors';

function threeNodes(): Cluster {
  const c = new Cluster(['a', 'b', 'c']);
  c.campaign('a');
  c.stabilize();
  return c;
}

function change(c: Cluster, at: string, type: ConfChangeType, node: string): void {
  c.node(at).raw.proposeConfChange({ type, node });
  c.process(at);
  c.stabilize();
}

describe('§6 membership changes', () => {
  test('§6: a new node joins as a learner, learns the membership from a snapshot, catches up, then is promoted', () => {
    const c = threeNodes();
    c.propose('a', 'before');
    c.stabilize();
    c.addNode('d');
    change(c, 'a', ConfChangeType.AddLearner, 'd');
    c.tick('a');
    c.stabilize();
    const d = c.node('d');
    expect(d.storage.snapshot()?.meta.conf.voters).toEqual(['a', 'b', 'c']);
    expect(d.conf).toEqual({ voters: ['a', 'b', 'c'], learners: ['d'] });
    expect(c.node('a').raw.status().progress?.d).toMatchObject({
      learner: true,
      match: c.node('a').raw.status().lastIndex,
    });
    // A learner never campaigns.
    c.tick('d', 50);
    expect(d.raw.status()).toMatchObject({ role: Role.Follower, term: 2 });
    change(c, 'a', ConfChangeType.AddVoter, 'd');
    for (const id of ['a', 'b', 'c', 'd'])
      expect(c.node(id).conf).toEqual({ voters: ['a', 'b', 'c', 'd'], learners: [] });
    c.propose('a', 'after');
    c.stabilize();
    // The leader's snapshot is the bootstrap one (membership only): d replays the log after it.
    expect(c.appliedData('d')).toEqual(['before', 'after']);
  });

  test('§6: a learner that has not caught up is not promoted', () => {
    const c = threeNodes();
    c.addNode('d');
    c.isolate('d');
    change(c, 'a', ConfChangeType.AddLearner, 'd');
    expect(() => c.node('a').raw.proposeConfChange({ type: ConfChangeType.AddVoter, node: 'd' })).toThrow(
      /has not caught up/,
    );
  });

  test('§6: a voter cannot be added without first being a learner', () => {
    const c = threeNodes();
    expect(() => c.node('a').raw.proposeConfChange({ type: ConfChangeType.AddVoter, node: 'x' })).toThrow(
      /add it as a learner first/,
    );
  });

  test('§6: only one membership change is pending at a time', () => {
    const c = threeNodes();
    c.node('a').raw.proposeConfChange({ type: ConfChangeType.AddLearner, node: 'd' });
    expect(() => c.node('a').raw.proposeConfChange({ type: ConfChangeType.AddLearner, node: 'e' })).toThrow(
      ConfChangeRejectedError,
    );
    c.process('a');
    c.stabilize();
    expect(() => c.node('a').raw.proposeConfChange({ type: ConfChangeType.AddLearner, node: 'e' })).not.toThrow();
  });

  test('§6 (thesis §4.1 bug fix): a new leader changes membership only after an entry of its term commits', () => {
    const c = threeNodes();
    c.campaign('b');
    c.deliver((m) => m.type === 'Vote');
    c.deliver((m) => m.type === 'VoteResp');
    expect(c.leader()).toBe('b');
    expect(() => c.node('b').raw.proposeConfChange({ type: ConfChangeType.Remove, node: 'c' })).toThrow(
      /not applied yet/,
    );
    c.stabilize();
    expect(() => c.node('b').raw.proposeConfChange({ type: ConfChangeType.Remove, node: 'c' })).not.toThrow();
  });

  test("§6: a learner's acknowledgement does not count towards a majority", () => {
    const c = threeNodes();
    c.addNode('d');
    change(c, 'a', ConfChangeType.AddLearner, 'd');
    c.tick('a');
    c.stabilize();
    c.isolate('b');
    c.isolate('c');
    c.propose('a', 'x');
    c.stabilize();
    expect(c.node('d').raw.logTerm(c.node('a').raw.status().lastIndex)).toBe(2);
    expect(c.appliedData('a')).toEqual([]);
  });

  test('§6 (thesis §4.2.2): a removed leader steps down once its removal applies; the rest elect a leader and commit', () => {
    const c = threeNodes();
    change(c, 'a', ConfChangeType.Remove, 'a');
    expect(c.node('a').raw.status().role).toBe(Role.Follower);
    expect(c.node('b').conf.voters).toEqual(['b', 'c']);
    c.tick('a', 100); // not a voter any more: never campaigns
    expect(c.node('a').raw.status().role).toBe(Role.Follower);
    c.tick('b', 20);
    c.stabilize();
    expect(['b', 'c']).toContain(c.leader());
    c.propose(c.leader() as string, 'y');
    c.stabilize();
    expect(c.appliedData('c')).toEqual(['y']);
  });

  test('§6: removing a follower shrinks the majority', () => {
    const c = threeNodes();
    change(c, 'a', ConfChangeType.Remove, 'c');
    c.isolate('c');
    c.propose('a', 'z');
    c.stabilize();
    expect(c.appliedData('b')).toEqual(['z']);
  });
});
