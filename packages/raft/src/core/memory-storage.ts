// LogStorage held in memory: used by the simulation and tests, and as the cache a durable
// storage can wrap. Layout follows etcd's MemoryStorage: entries after a compaction point whose
// index/term are kept so term(firstIndex-1) stays answerable.
import type { ConfState, Entry, HardState, LogStorage, NodeId, Snapshot } from '../types';
import { CompactedError, SnapshotOutOfDateError, UnavailableError } from './errors';
import { limitSize } from './entries';

const emptyConf = (): ConfState => ({ voters: [], learners: [] });

/**
 * The snapshot every founding member of a new cluster starts from: index 1, term 1, the initial
 * voters and no application data. A node that joins later starts empty and receives the leader's
 * snapshot, which is how it learns the membership.
 */
export function initialSnapshot(voters: NodeId[]): Snapshot {
  return { meta: { index: 1, term: 1, conf: { voters: [...voters], learners: [] } }, data: new Uint8Array(0) };
}

export class MemoryStorage implements LogStorage {
  private hs: HardState = { term: 0, vote: null, commit: 0 };
  private snap: Snapshot = { meta: { index: 0, term: 0, conf: emptyConf() }, data: new Uint8Array(0) };
  /** Compaction point: entries[0] is offsetIndex+1. */
  private offsetIndex = 0;
  private offsetTerm = 0;
  private ents: Entry[] = [];

  /** A storage for a founding member of a new cluster (see initialSnapshot). */
  static bootstrap(voters: NodeId[]): MemoryStorage {
    const s = new MemoryStorage();
    s.applySnapshot(initialSnapshot(voters));
    s.setHardState({ term: 1, vote: null, commit: 1 });
    return s;
  }

  initialState(): { hardState: HardState; conf: ConfState } {
    const c = this.snap.meta.conf;
    return { hardState: { ...this.hs }, conf: { voters: [...c.voters], learners: [...c.learners] } };
  }

  hardState(): HardState {
    return { ...this.hs };
  }

  firstIndex(): number {
    return this.offsetIndex + 1;
  }

  lastIndex(): number {
    return this.offsetIndex + this.ents.length;
  }

  term(index: number): number {
    if (index < this.offsetIndex) throw new CompactedError(index, this.firstIndex());
    if (index === this.offsetIndex) return this.offsetTerm;
    const e = this.ents[index - this.offsetIndex - 1];
    if (!e) throw new UnavailableError(index, this.lastIndex());
    return e.term;
  }

  entries(lo: number, hi: number, maxBytes?: number): Entry[] {
    if (lo <= this.offsetIndex) throw new CompactedError(lo, this.firstIndex());
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1, this.lastIndex());
    return limitSize(this.ents.slice(lo - this.offsetIndex - 1, hi - this.offsetIndex - 1), maxBytes);
  }

  snapshot(): Snapshot | null {
    return this.snap.meta.index > 0 ? this.snap : null;
  }

  setHardState(hs: HardState): void {
    this.hs = { ...hs };
  }

  /** Appends entries, replacing any conflicting suffix (entries[0].index may be <= lastIndex). */
  append(entries: Entry[]): void {
    const head = entries[0];
    if (!head) return;
    let ents = entries;
    const first = head.index;
    if (first > this.lastIndex() + 1) {
      throw new UnavailableError(first, this.lastIndex());
    }
    // Entries already covered by the compaction point are committed and identical: skip them.
    if (first <= this.offsetIndex) ents = ents.slice(this.offsetIndex + 1 - first);
    const start = ents[0];
    if (!start) return;
    // In place: copying the whole log on every append is quadratic for a long-lived cache.
    this.ents.length = start.index - this.offsetIndex - 1;
    for (const e of ents) this.ents.push(e);
  }

  /** Replaces the whole log with a snapshot received from the leader. */
  applySnapshot(snap: Snapshot): void {
    if (snap.meta.index <= this.snap.meta.index)
      throw new SnapshotOutOfDateError(snap.meta.index, this.snap.meta.index);
    this.snap = snap;
    this.offsetIndex = snap.meta.index;
    this.offsetTerm = snap.meta.term;
    this.ents = [];
  }

  /** Records the application's snapshot as of `index` (which must be applied, hence stored). */
  createSnapshot(index: number, conf: ConfState, data: Uint8Array): Snapshot {
    if (index <= this.snap.meta.index) throw new SnapshotOutOfDateError(index, this.snap.meta.index);
    const term = this.term(index);
    this.snap = { meta: { index, term, conf: { voters: [...conf.voters], learners: [...conf.learners] } }, data };
    return this.snap;
  }

  /** Drops entries up to and including `index`; it must not pass the latest snapshot. */
  compact(index: number): void {
    if (index <= this.offsetIndex) throw new CompactedError(index, this.firstIndex());
    if (index > this.snap.meta.index) {
      throw new RangeError(
        `cannot compact to ${index}: the latest snapshot is at ${this.snap.meta.index}; createSnapshot first`,
      );
    }
    const term = this.term(index);
    this.ents = this.ents.slice(index - this.offsetIndex);
    this.offsetIndex = index;
    this.offsetTerm = term;
  }
}
