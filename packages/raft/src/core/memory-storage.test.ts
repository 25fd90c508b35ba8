// The core's in-memory log storage: bootstrap, append and conflicts, bounds, snapshot and compaction.
import { EntryType, type Entry } from '../types';
import { CompactedError, SnapshotOutOfDateError, UnavailableError } from './errors';
import { MemoryStorage, initialSnapshot } from './memory-storage';

const ent = (index: number, term: number, s = ''): Entry => ({
  index,
  term,
  type: EntryType.Normal,
  data: new TextEncoder().encode(s),
});

describe('MemoryStorage', () => {
  test('bootstrap holds the founding membership in a snapshot at index 1', () => {
    const s = MemoryStorage.bootstrap(['a', 'b']);
    expect(s.initialState()).toEqual({
      hardState: { term: 1, vote: null, commit: 1 },
      conf: { voters: ['a', 'b'], learners: [] },
    });
    expect(s.firstIndex()).toBe(2);
    expect(s.lastIndex()).toBe(1);
    expect(s.term(1)).toBe(1);
    expect(s.snapshot()).toEqual(initialSnapshot(['a', 'b']));
  });

  test('append replaces a conflicting suffix and rejects gaps', () => {
    const s = MemoryStorage.bootstrap(['a']);
    s.append([ent(2, 2), ent(3, 2), ent(4, 2)]);
    s.append([ent(3, 3)]);
    expect(s.lastIndex()).toBe(3);
    expect(s.term(3)).toBe(3);
    expect(() => s.append([ent(9, 3)])).toThrow(UnavailableError);
  });

  test('entries honours bounds and the byte limit (always at least one entry)', () => {
    const s = MemoryStorage.bootstrap(['a']);
    s.append([ent(2, 2, 'xxxx'), ent(3, 2, 'yyyy'), ent(4, 2, 'zzzz')]);
    expect(s.entries(2, 5).map((e) => e.index)).toEqual([2, 3, 4]);
    expect(s.entries(2, 5, 40).map((e) => e.index)).toEqual([2, 3]);
    expect(s.entries(2, 5, 1).map((e) => e.index)).toEqual([2]);
    expect(() => s.entries(1, 3)).toThrow(CompactedError);
    expect(() => s.entries(2, 6)).toThrow(UnavailableError);
  });

  test('snapshot then compact keeps term(firstIndex-1) answerable and refuses older snapshots', () => {
    const s = MemoryStorage.bootstrap(['a']);
    s.append([ent(2, 2), ent(3, 2), ent(4, 3)]);
    s.createSnapshot(3, { voters: ['a'], learners: [] }, new Uint8Array([7]));
    expect(() => s.compact(4)).toThrow(/createSnapshot first/);
    s.compact(3);
    expect(s.firstIndex()).toBe(4);
    expect(s.term(3)).toBe(2);
    expect(() => s.term(2)).toThrow(CompactedError);
    expect(() => s.applySnapshot(initialSnapshot(['a']))).toThrow(SnapshotOutOfDateError);
    s.applySnapshot({
      meta: { index: 10, term: 4, conf: { voters: ['a', 'b'], learners: [] } },
      data: new Uint8Array(),
    });
    expect(s.firstIndex()).toBe(11);
    expect(s.lastIndex()).toBe(10);
    expect(s.initialState().conf.voters).toEqual(['a', 'b']);
  });
});
