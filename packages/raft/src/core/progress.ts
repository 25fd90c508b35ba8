// The leader's view of one follower's log (etcd's tracker.Progress): flow control per peer.

export enum ProgressState {
  /** Unknown match: send one Append at a time and wait for the answer. */
  Probe = 'probe',
  /** Known match: stream Appends optimistically, at most maxInflightMsgs unacknowledged. */
  Replicate = 'replicate',
  /** A snapshot is on its way; pause Appends until it is acknowledged or reported failed. */
  Snapshot = 'snapshot',
}

/** A bounded window of in-flight Append messages, identified by their last index. */
export class Inflights {
  private buf: number[] = [];
  constructor(readonly size: number) {}
  add(last: number): void {
    this.buf.push(last);
  }
  freeLE(to: number): void {
    const n = this.buf.findIndex((last) => last > to);
    if (n === -1) this.buf = [];
    else if (n > 0) this.buf = this.buf.slice(n);
  }
  freeFirstOne(): void {
    this.buf.shift();
  }
  full(): boolean {
    return this.buf.length >= this.size;
  }
  count(): number {
    return this.buf.length;
  }
  reset(): void {
    this.buf = [];
  }
}

export class Progress {
  match = 0;
  next: number;
  state = ProgressState.Probe;
  /** Probe state: an Append is outstanding; wait for its answer (or a heartbeat answer). */
  probeSent = false;
  pendingSnapshot = 0;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  readonly inflights: Inflights;

  constructor(
    next: number,
    maxInflight: number,
    public isLearner: boolean,
  ) {
    this.next = next;
    this.inflights = new Inflights(maxInflight);
  }

  private resetState(state: ProgressState): void {
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === ProgressState.Snapshot) {
      const pending = this.pendingSnapshot;
      this.resetState(ProgressState.Probe);
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState(ProgressState.Probe);
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState(ProgressState.Replicate);
    this.next = this.match + 1;
  }

  becomeSnapshot(index: number): void {
    this.resetState(ProgressState.Snapshot);
    this.pendingSnapshot = index;
  }

  /** An acknowledgement up to n. Returns whether match advanced. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /**
   * A rejection of the Append whose previous index was `rejected`; `matchHint` is the highest
   * index the follower might share with us. Returns false for a stale rejection.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === ProgressState.Replicate) {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case ProgressState.Probe:
        return this.probeSent;
      case ProgressState.Replicate:
        return this.inflights.full();
      case ProgressState.Snapshot:
        return true;
    }
  }
}
