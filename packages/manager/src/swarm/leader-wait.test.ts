import { EventEmitter } from 'node:events';
import type { RaftNode } from '@flotilla/raft';
import { leaderWithin } from './leader-wait';

/** The two parts of a RaftNode that leaderWithin uses: its status and its 'leader' event. */
class FakeRaft extends EventEmitter {
  leader: string | null = null;
  status() {
    return { leader: this.leader };
  }
  elect(id: string | null) {
    this.leader = id;
    this.emit('leader', id, 2);
  }
}
const asRaft = (f: FakeRaft) => f as unknown as RaftNode<unknown>;

describe('leaderWithin', () => {
  it('answers at once when a leader is known', async () => {
    const f = new FakeRaft();
    f.leader = 'a';
    await expect(leaderWithin(asRaft(f), 10_000)).resolves.toBe(true);
  });

  it('waits out an election that ends in time, and stops listening', async () => {
    const f = new FakeRaft();
    const p = leaderWithin(asRaft(f), 10_000);
    f.elect(null); // a step down announced during the wait is not a leader
    setTimeout(() => f.elect('b'), 20);
    await expect(p).resolves.toBe(true);
    expect(f.listenerCount('leader')).toBe(0);
  });

  it('gives up after the bound with no leader', async () => {
    const f = new FakeRaft();
    const t0 = Date.now();
    await expect(leaderWithin(asRaft(f), 50)).resolves.toBe(false);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
    expect(f.listenerCount('leader')).toBe(0);
  });
});
