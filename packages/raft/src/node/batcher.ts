// Group commit: proposals made in the same turn of the event loop travel as one log entry (one
// WAL record, one Append), flushed at the end of the turn or once a batch reaches its bounds.

/** Bounds of one group-commit entry. */
const MAX_BATCH_PROPOSALS = 1024;
const MAX_BATCH_BYTES = 512 * 1024;

export interface BatchItem {
  /** Request id (hex) of the caller waiting for this proposal. */
  id: string;
  data: Uint8Array;
}

export class ProposalBatcher {
  private batch: BatchItem[] = [];
  private bytes = 0;
  private queued = false;

  /** `flush` proposes a batch (possibly empty, after an early flush) as one entry. */
  constructor(private readonly flush: (items: readonly BatchItem[]) => void) {}

  add(id: string, data: Uint8Array): void {
    this.batch.push({ id, data });
    this.bytes += data.length;
    if (this.batch.length >= MAX_BATCH_PROPOSALS || this.bytes >= MAX_BATCH_BYTES) {
      this.flushNow();
      return;
    }
    if (!this.queued) {
      this.queued = true;
      queueMicrotask(() => this.flushNow());
    }
  }

  private flushNow(): void {
    this.queued = false;
    const items = this.batch;
    this.batch = [];
    this.bytes = 0;
    this.flush(items);
  }
}
