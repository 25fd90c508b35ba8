/**
 * Which nodes are alive (pure): a node is down once it has missed `graceBeats` heartbeat periods,
 * or at once when its session ends and it does not come back within one period (a killed daemon
 * closes its sockets, so waiting the whole grace is wasted time).
 */
export class Liveness {
  private readonly lastBeat = new Map<string, number>();
  private readonly disconnectedAt = new Map<string, number>();

  constructor(private readonly periodMs: number, private readonly graceBeats = 3) {}

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
    return next;
  }
}
