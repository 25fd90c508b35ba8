// §5.3 Log replication: consistency check, conflict repair, fast backtracking, flow control.
import { Cluster } from '../sim/cluster';
import { MessageType } from '../types';

function leaderWithLog(c: Cluster, leader: string): void {
  c.campaign(leader);
  c.stabilize();
}

describe('§5.3 log replication', () => {
  test('§5.3: an entry is committed once a majority stores it, and followers learn the commit index', () => {
    const c = new Cluster(['a', 'b', 'c']);
    leaderWithLog(c, 'a');
    c.isolate('c');
    c.propose('a', 'x');
    c.stabilize();
    expect(c.appliedData('a')).toEqual(['x']);
    expect(c.appliedData('b')).toEqual(['x']);
    expect(c.appliedData('c')).toEqual([]);
    c.heal();
    c.tick('a'); // heartbeat: c is behind, the answer triggers an append
    c.stabilize();
    expect(c.appliedData('c')).toEqual(['x']);
  });

  test('§5.3: without a majority nothing commits', () => {
    const c = new Cluster(['a', 'b', 'c']);
    leaderWithLog(c, 'a');
    c.isolate('a');
    c.propose('a', 'lost');
    c.stabilize();
    expect(c.appliedData('a')).toEqual([]);
    expect(c.node('a').raw.status().lastIndex).toBe(3);
  });

  test("§5.3 (Figure 7): a follower's conflicting uncommitted entries are overwritten by the leader's", () => {
    const c = new Cluster(['a', 'b', 'c']);
    leaderWithLog(c, 'a');
    c.isolate('a');
    for (const d of ['a1', 'a2', 'a3']) c.propose('a', d);
    c.heal();
    c.isolate('a');
    c.campaign('b');
    c.stabilize();
    c.propose('b', 'b1');
    c.stabilize();
    c.heal();
    c.tick('b');
    c.stabilize();
    for (const id of ['a', 'b', 'c']) expect(c.appliedData(id)).toEqual(['b1']);
    expect(c.node('a').raw.status().lastIndex).toBe(c.node('b').raw.status().lastIndex);
  });

  test('§5.3: the consistency check rejects an append whose previous entry does not match, with a hint', () => {
    const c = new Cluster(['a', 'b', 'c']);
    leaderWithLog(c, 'a');
    c.isolate('c');
    for (let i = 0; i < 20; i++) c.propose('a', `e${i}`);
    c.stabilize();
    c.heal();
    c.tick('a');
    c.deliver((m) => m.type === MessageType.Heartbeat);
    c.deliver((m) => m.type === MessageType.HeartbeatResp);
    c.deliver((m) => m.type === MessageType.Append && m.to === 'c');
    const rej = c.pending(MessageType.AppendResp).find((m) => m.from === 'c');
    expect(rej).toMatchObject({ reject: true, rejectHint: 2 });
  });

  test('§5.3 fast backtracking: a long divergent suffix is skipped in a few round trips, not one per entry', () => {
    const c = new Cluster(['a', 'b', 'c']);
    leaderWithLog(c, 'a');
    c.isolate('a');
    for (let i = 0; i < 50; i++) c.propose('a', `stale${i}`);
    c.heal();
    c.isolate('a');
    c.campaign('b');
    c.stabilize();
    for (let i = 0; i < 30; i++) c.propose('b', `new${i}`);
    c.stabilize();
    c.heal();
    c.tick('b');
    let rejections = 0;
    for (let round = 0; round < 100 && c.queue.length > 0; round++) {
      rejections += c.pending(MessageType.AppendResp).filter((m) => m.from === 'a' && m.reject).length;
      c.deliver();
    }
    expect(c.appliedData('a')).toEqual(c.appliedData('b'));
    expect(rejections).toBeLessThanOrEqual(2);
  });

  test('§5.3 flow control: at most maxInflightMsgs unacknowledged appends, each within maxSizePerMsg', () => {
    const c = new Cluster(['a', 'b', 'c'], { maxInflightMsgs: 2, maxSizePerMsg: 40 });
    leaderWithLog(c, 'a');
    c.isolate('c');
    for (let i = 0; i < 10; i++) c.node('a').raw.propose(new TextEncoder().encode(`x${i}`));
    c.process('a');
    const appendsToB = (): number[][] =>
      c
        .pending(MessageType.Append)
        .filter((m) => m.to === 'b' && (m.entries?.length ?? 0) > 0)
        .map((m) => (m.entries ?? []).map((e) => e.index));
    // Each proposal was sent at once, until the window of two filled up.
    expect(appendsToB()).toEqual([[3], [4]]);
    c.deliver((m) => m.to === 'b');
    c.deliver((m) => m.from === 'b');
    // The acks free the window: the backlog goes out batched, two 18-byte entries per 40 bytes.
    expect(appendsToB()).toEqual([
      [5, 6],
      [7, 8],
    ]);
    c.heal();
    c.stabilize();
    expect(c.appliedData('b')).toHaveLength(10);
  });

  test('§5.3: a new leader starts probing one append at a time, then streams', () => {
    const c = new Cluster(['a', 'b', 'c']);
    leaderWithLog(c, 'a');
    const st = c.node('a').raw.status();
    expect(st.progress?.b?.state).toBe('replicate');
    c.campaign('b');
    c.process('b');
    c.deliver((m) => m.type === MessageType.Vote);
    c.deliver((m) => m.type === MessageType.VoteResp);
    expect(c.node('b').raw.status().progress?.a?.state).toBe('probe');
  });
});
