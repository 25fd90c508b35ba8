// Callers waiting for their proposal to be applied, matched by request id; also indexed by the log
// index their entry landed at, so an entry applied in that slot by another leader rejects them.
export interface Waiter<T> {
  resolve(v: T): void;
  reject(e: unknown): void;
  deadline: number;
  /** Log index the entry was persisted at on this node, once known. */
  index?: number;
}

export class WaiterSet<T> {
  private readonly byId = new Map<string, Waiter<T>>();
  private readonly byIndex = new Map<number, string[]>();

  get size(): number {
    return this.byId.size;
  }

  add(id: string, w: Waiter<T>): void {
    this.byId.set(id, w);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Our entry `id` was persisted at `index` (again, if a new leader moved it). */
  placed(id: string, index: number): void {
    const w = this.byId.get(id);
    if (!w) return;
    w.index = index;
    const ids = this.byIndex.get(index);
    if (ids) ids.push(id);
    else this.byIndex.set(index, [id]);
  }

  /** Removes and returns the waiter for `id`. */
  take(id: string): Waiter<T> | undefined {
    const w = this.byId.get(id);
    if (w) this.byId.delete(id);
    return w;
  }

  /** The entry at `index` was applied and was not theirs: every other waiter placed there lost. */
  takeDisplaced(index: number, applied: ReadonlySet<string>): Waiter<T>[] {
    const ids = this.byIndex.get(index);
    if (!ids) return [];
    this.byIndex.delete(index);
    const out: Waiter<T>[] = [];
    for (const id of ids) {
      if (applied.has(id)) continue;
      const w = this.byId.get(id);
      if (w && w.index === index) {
        this.byId.delete(id);
        out.push(w);
      }
    }
    return out;
  }

  /** Waiters placed at or below `index` (covered by a snapshot: their fate is unknown here). */
  takePlacedUpTo(index: number): Waiter<T>[] {
    const out: Waiter<T>[] = [];
    for (const [i, ids] of this.byIndex) {
      if (i > index) continue;
      this.byIndex.delete(i);
      for (const id of ids) {
        const w = this.byId.get(id);
        if (w && w.index === i) {
          this.byId.delete(id);
          out.push(w);
        }
      }
    }
    return out;
  }

  takeExpired(now: number): Waiter<T>[] {
    const out: Waiter<T>[] = [];
    for (const [id, w] of this.byId) {
      if (w.deadline <= now) {
        this.byId.delete(id);
        out.push(w);
      }
    }
    return out;
  }

  takeAll(): Waiter<T>[] {
    const out = [...this.byId.values()];
    this.byId.clear();
    this.byIndex.clear();
    return out;
  }
}
