// §5.4 Safety: the election restriction (§5.4.1) and committing only current-term entries by
// counting (§5.4.2, Figure 8).
import { Cluster } from '../sim/cluster';
import { MessageType, Role, type Message } from '../types';

/** Runs an election for `id` delivering only vote traffic, retrying into later terms. */
function electWithVotesOnly(c: Cluster, id: string): void {
  for (let attempt = 0; attempt < 5 && c.node(id).raw.status().role !== Role.Leader; attempt++) {
    c.campaign(id);
    const votes = (m: Message): boolean => m.type === MessageType.Vote || m.type === MessageType.VoteResp;
    while (c.deliver(votes) > 0) {
      /* until no vote traffic is left */
    }
  }
  expect(c.node(id).raw.status().role).toBe(Role.Leader);
}

describe('§5.4 safety', () => {
  test('§5.4.1: a voter denies its vote to a candidate whose log is less up-to-date', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.campaign('a');
    c.stabilize();
    c.isolate('c');
    c.propose('a', 'x');
    c.stabilize();
    c.heal();
    c.queue = [];
    c.campaign('c');
    c.deliver((m) => m.type === MessageType.Vote);
    const answers = c.pending(MessageType.VoteResp).filter((m) => m.to === 'c');
    expect(answers.map((m) => m.reject)).toEqual([true, true]);
    c.stabilize();
    expect(c.leader()).not.toBe('c');
  });

  test('§5.4.2 (Figure 8): a leader does not commit an entry of an earlier term by counting replicas', () => {
    const ids = ['s1', 's2', 's3', 's4', 's5'];
    // One entry per Append, so an old entry can reach a majority before the new leader's own.
    const c = new Cluster(ids, { maxSizePerMsg: 1 });
    c.campaign('s1');
    c.stabilize();
    const base = c.node('s1').raw.status().commit;

    // (a) s1 leads term 2 and replicates X only to s2.
    c.isolate('s1');
    c.cut.delete('s1->s2');
    c.cut.delete('s2->s1');
    c.propose('s1', 'X');
    c.stabilize();
    const xIndex = base + 1;
    expect(c.node('s2').raw.logTerm(xIndex)).toBe(2);

    // (b) s1 crashes; s5 wins a later term with s3 and s4, appends its no-op at X's index, and
    // is cut off before replicating it.
    c.heal();
    c.restart('s1');
    c.isolate('s1');
    electWithVotesOnly(c, 's5');
    c.queue = [];
    const t5 = c.node('s5').raw.status().term;
    expect(c.node('s5').raw.logTerm(xIndex)).toBe(t5);

    // (c) s5 crashes; s1 comes back and wins an even later term. s2 takes everything, s3 only X:
    // X is now on a majority (s1, s2, s3) but is from term 2, so it must not be committed.
    c.heal();
    c.restart('s5');
    c.isolate('s5');
    c.queue = [];
    electWithVotesOnly(c, 's1');
    const lacksX = (): boolean => c.node('s3').raw.logTerm(xIndex) === 0;
    const allowed = (m: Message): boolean =>
      m.from === 's2' ||
      m.to === 's2' ||
      (m.from === 's3' && m.to === 's1') ||
      // s3 sees the probe it must reject (it lacks X), then the append carrying X, nothing newer.
      (m.to === 's3' &&
        m.type === MessageType.Append &&
        (lacksX() || (m.entries ?? []).every((e) => e.index <= xIndex)));
    for (let i = 0; i < 50 && c.queue.length > 0; i++) {
      c.queue = c.queue.filter(allowed);
      c.deliver();
    }
    const st = c.node('s1').raw.status();
    expect(c.node('s3').raw.logTerm(xIndex)).toBe(2);
    expect(st.progress?.s3?.match).toBe(xIndex);
    expect(st.progress?.s2?.match).toBe(xIndex + 1);
    expect(st.commit).toBe(base);
    expect(c.appliedData('s1')).toEqual([]);

    // (d) s1 crashes again; s5 (last term t5 > 2) wins with s3 and s4 and replaces X everywhere.
    c.queue = [];
    c.heal();
    c.restart('s1');
    c.isolate('s1');
    electWithVotesOnly(c, 's5');
    c.stabilize();
    c.heal();
    c.tick('s5');
    c.stabilize();
    for (const id of ids) {
      expect(c.node(id).raw.logTerm(xIndex)).toBe(t5);
      expect(c.appliedData(id)).toEqual([]);
    }
  });
});
