// Matching applied entries to waiting proposers (Raft §8: a client learns the outcome of its
// command; an entry overwritten by a new leader was never committed, so its proposer must hear so).
import { WaiterSet, type Waiter } from './waiters';

function waiter(deadline = Infinity): Waiter<string> & { outcome: string | null } {
  const w = {
    outcome: null as string | null,
    deadline,
    resolve: (v: string) => (w.outcome = `ok:${v}`),
    reject: (e: unknown) => (w.outcome = `err:${String(e)}`),
  };
  return w;
}

describe('WaiterSet', () => {
  it('an entry applied at a waiter’s index that is not its own displaces it; its own does not', () => {
    const s = new WaiterSet<string>();
    const mine = waiter();
    const other = waiter();
    s.add('mine', mine);
    s.add('other', other);
    s.placed('mine', 7);
    s.placed('other', 7); // a new leader wrote `other` at the same index after `mine` was truncated
    expect(s.takeDisplaced(7, new Set(['other']))).toEqual([mine]);
    expect(s.take('other')).toBe(other);
    expect(s.size).toBe(0);
  });

  it('a waiter moved to a later index is not displaced by what lands at its old one', () => {
    const s = new WaiterSet<string>();
    const w = waiter();
    s.add('w', w);
    s.placed('w', 5);
    s.placed('w', 9);
    expect(s.takeDisplaced(5, new Set())).toEqual([]);
    expect(s.takeDisplaced(9, new Set())).toEqual([w]);
  });

  it('snapshots take waiters placed at or below the snapshot index; deadlines expire', () => {
    const s = new WaiterSet<string>();
    const a = waiter();
    const b = waiter();
    const late = waiter(100);
    s.add('a', a);
    s.add('b', b);
    s.add('late', late);
    s.placed('a', 3);
    s.placed('b', 12);
    expect(s.takePlacedUpTo(10)).toEqual([a]);
    expect(s.takeExpired(99)).toEqual([]);
    expect(s.takeExpired(100)).toEqual([late]);
    expect(s.takeAll()).toEqual([b]);
  });
});
