// The simulated network: messages wait for their delivery time and are then delivered in a
// random order (reordering); sends may be dropped or duplicated; partitions cut links.
import type { Message, NodeId } from '../types';
import type { Rng } from './rng';

export interface NetworkFaults {
  drop: number;
  duplicate: number;
  /** Max delivery delay in micro-steps (min 1). */
  maxDelay: number;
}

interface InFlight {
  m: Message;
  at: number;
}

export class Network {
  private inflight: InFlight[] = [];
  /** Node -> partition group; nodes in different groups cannot talk. */
  private groups = new Map<NodeId, number>();
  sent = 0;
  dropped = 0;

  constructor(
    private readonly rng: Rng,
    public faults: NetworkFaults,
  ) {}

  send(m: Message, now: number): boolean {
    this.sent++;
    if (this.rng.chance(this.faults.drop)) {
      this.dropped++;
      return false;
    }
    this.inflight.push({ m, at: now + this.rng.int(1, this.faults.maxDelay) });
    if (this.rng.chance(this.faults.duplicate))
      this.inflight.push({ m, at: now + this.rng.int(1, this.faults.maxDelay) });
    return true;
  }

  /** Messages due by `now`, shuffled; the rest stay in flight. */
  due(now: number): Message[] {
    if (this.inflight.length === 0) return [];
    const out: Message[] = [];
    const keep: InFlight[] = [];
    for (const f of this.inflight) {
      if (f.at <= now) out.push(f.m);
      else keep.push(f);
    }
    this.inflight = keep;
    return this.rng.shuffle(out);
  }

  connected(a: NodeId, b: NodeId): boolean {
    return (this.groups.get(a) ?? 0) === (this.groups.get(b) ?? 0);
  }

  partition(groups: NodeId[][]): void {
    this.groups = new Map();
    groups.forEach((g, i) => g.forEach((id) => this.groups.set(id, i)));
  }

  heal(): void {
    this.groups = new Map();
  }

  size(): number {
    return this.inflight.length;
  }
}
