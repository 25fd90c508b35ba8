// §7 Log compaction: snapshots, InstallSnapshot, restart from a snapshot.
import { Cluster } from '../sim/cluster';
import { MessageType } from '../types';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('§7 log compaction', () => {
  test('§7: a follower that needs compacted entries gets InstallSnapshot, then the rest of the log', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.campaign('a');
    c.stabilize();
    c.isolate('c');
    for (let i = 0; i < 10; i++) c.propose('a', `e${i}`);
    c.stabilize();
    const a = c.node('a');
    const applied = a.raw.status().applied;
    a.storage.createSnapshot(applied, a.conf, enc('state-at-snapshot'));
    a.storage.compact(applied);
    c.propose('a', 'tail');
    c.stabilize();
    c.heal();
    c.tick('a');
    let sawSnapshot = false;
    for (let i = 0; i < 50 && c.queue.length > 0; i++) {
      if (c.pending(MessageType.Snapshot).some((m) => m.to === 'c')) sawSnapshot = true;
      c.deliver();
    }
    expect(sawSnapshot).toBe(true);
    const cs = c.node('c');
    expect(cs.storage.snapshot()?.meta.index).toBe(applied);
    expect(new TextDecoder().decode(cs.storage.snapshot()?.data)).toBe('state-at-snapshot');
    expect(c.appliedData('c')).toEqual(['tail']);
    expect(cs.raw.status().commit).toBe(a.raw.status().commit);
  });

  test('§7: a restarted node resumes from its snapshot and re-applies only the committed entries after it', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.campaign('a');
    c.stabilize();
    for (let i = 0; i < 6; i++) c.propose('a', `e${i}`);
    c.stabilize();
    const b = c.node('b');
    const snapAt = b.raw.status().applied - 3;
    b.storage.createSnapshot(snapAt, b.conf, enc('b-state'));
    b.storage.compact(snapAt - 1);
    const restarted = c.restart('b');
    expect(restarted.raw.status().applied).toBe(snapAt);
    c.process('b');
    expect(c.appliedData('b')).toEqual(['e3', 'e4', 'e5']);
  });

  test('§7: snapshots are only taken of stored entries and compaction never passes the snapshot', () => {
    const c = new Cluster(['a']);
    c.campaign('a');
    c.propose('a', 'x');
    const s = c.node('a').storage;
    expect(() => s.compact(3)).toThrow(/createSnapshot first/);
    expect(() => s.createSnapshot(99, c.node('a').conf, enc(''))).toThrow(/not available/);
  });
});
