/**
 * Which nodes are alive (pure): a node is down once it has missed `graceBeats` heartbeat periods,
 * or at once when its session ends and it does not come back within one period (a killed daemon
 * closes its sockets, so waiting the whole grace is wasted time).
 *
 * With 1 s periods and a 3 s grace a dead worker is replaced within the 5 s goal (Docker: 5 s x 3).
 * What such short periods must not do is flap when the manager itself stalls (GC, a CPU-starved
 * host): then the heartbeats wait unread in its sockets and the silence is the manager's, not the
 * nodes'. The caller checks `expired` when its timer for `nextDeadline()` fires; a check that comes
 * much later than that deadline forgives the stall once instead of marking everyone down.
 */
export class Liveness {
  private readonly lastBeat = new Map<string, number>();
  private readonly disconnectedAt = new Map<string, number>();
  /** The deadline last handed out by nextDeadline(): when the caller's check should run. */
  private checkAt: number | null = null;

  constructor(
    private readonly periodMs: number,
    private readonly graceBeats = 3,
  ) {}

  beat(nodeId: string, now: number): void {
    this.lastBeat.set(nodeId, now);
    this.disconnectedAt.delete(nodeId);
  }

  disconnected(nodeId: string, now: number): void {
    this.disconnectedAt.set(nodeId, now);
  }

  forget(nodeId: string): void {
    this.lastBeat.delete(nodeId);
    this.disconnectedAt.delete(nodeId);
  }

  /** Nodes that are down at `now`. */
  expired(now: number): string[] {
    const stall = this.checkAt === null ? 0 : now - this.checkAt;
    this.checkAt = null;
    if (stall > this.periodMs) {
      // Late by more than a period: the stall does not count against the nodes, and each has at
      // least one more period to be heard (its beats are read after this check).
      const grace = this.periodMs * this.graceBeats;
      for (const [id, t] of this.lastBeat)
        this.lastBeat.set(id, Math.min(now, Math.max(t + stall, now - grace + this.periodMs)));
      for (const [id, t] of this.disconnectedAt) this.disconnectedAt.set(id, Math.min(now, Math.max(t + stall, now)));
      return [];
    }
    const out: string[] = [];
    for (const [id, t] of this.lastBeat) {
      const gone = this.disconnectedAt.get(id);
      if (now - t > this.periodMs * this.graceBeats || (gone !== undefined && now - gone > this.periodMs)) out.push(id);
    }
    return out;
  }

  /** When the next node could expire (for a timer). */
  nextDeadline(): number | null {
    let next: number | null = null;
    for (const [id, t] of this.lastBeat) {
      const gone = this.disconnectedAt.get(id);
      const d = Math.min(t + this.periodMs * this.graceBeats, gone !== undefined ? gone + this.periodMs : Infinity);
      next = next === null ? d : Math.min(next, d);
    }
    this.checkAt = next;
    return next;
  }
}
