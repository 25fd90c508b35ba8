// The backend set of one service port inside one accept loop, and the choice of a backend for a
// new client connection. Pure: no sockets here, so the balancing rules are tested on their own.
import type { Backend, BackendStats, Strategy } from './types';

/** A backend plus the counters this accept loop keeps for it. */
export interface BackendSlot {
  readonly backend: Backend;
  active: number;
  total: number;
  failed: number;
}

function slotKey(b: Backend): string {
  return `${b.taskId}\0${b.address}\0${b.port}\0${b.tunnel ?? ''}`;
}

/** A copy with only the known fields (backends arrive over IPC and from the view). */
export function copyBackend(b: Backend): Backend {
  const c: Backend = { taskId: b.taskId, address: b.address, port: b.port };
  if (b.tunnel) c.tunnel = b.tunnel;
  if (b.node) c.node = b.node;
  return c;
}

export class BackendPool {
  private slots: BackendSlot[] = [];
  private cursor = 0;
  /** Client connections closed because every backend failed or none was left. */
  rejected = 0;

  constructor(public strategy: Strategy = 'round-robin') {}

  get size(): number {
    return this.slots.length;
  }

  /**
   * Replaces the set at once. A backend that stays keeps its counters (least connections stays
   * right); one that leaves is forgotten here, while connections already open to it go on.
   */
  set(backends: readonly Backend[]): void {
    const old = new Map<string, BackendSlot>();
    for (const s of this.slots) old.set(slotKey(s.backend), s);
    this.slots = backends.map(
      (b) => old.get(slotKey(b)) ?? { backend: copyBackend(b), active: 0, total: 0, failed: 0 },
    );
    if (this.cursor >= this.slots.length) this.cursor = 0;
  }

  /**
   * The backend for the next connect attempt, skipping the ones this client connection already
   * tried (each at most once), or undefined when none is left.
   */
  pick(tried?: readonly BackendSlot[]): BackendSlot | undefined {
    const slots = this.slots;
    const n = slots.length;
    if (n === 0) return undefined;
    if (this.strategy === 'round-robin') {
      for (let i = 0; i < n; i++) {
        const s = slots[this.cursor] as BackendSlot;
        this.cursor = this.cursor + 1 === n ? 0 : this.cursor + 1;
        if (!tried || !tried.includes(s)) return s;
      }
      return undefined;
    }
    // Least connections; ties go round robin so that an idle pool is still spread evenly.
    let best: BackendSlot | undefined;
    let bestAt = 0;
    for (let i = 0; i < n; i++) {
      const at = (this.cursor + i) % n;
      const s = slots[at] as BackendSlot;
      if (tried && tried.includes(s)) continue;
      if (!best || s.active < best.active) {
        best = s;
        bestAt = at;
      }
    }
    if (best) this.cursor = (bestAt + 1) % n;
    return best;
  }

  stats(): BackendStats[] {
    return this.slots.map((s) => ({ ...s.backend, active: s.active, total: s.total, failed: s.failed }));
  }
}
