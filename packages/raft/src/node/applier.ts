// The apply side of the driver: committed entries and snapshots reach the state machine here, the
// callers waiting on those proposals are settled, and local snapshots are taken when due.
import { decodeConfChange } from '../core/entries';
import { type Logger } from '../log';
import { type DurableStorage } from '../storage/durable-storage';
import { EntryType, type ConfChange, type ConfState, type Entry } from '../types';
import { unwrapProposals, unwrapSnapshot, wrapSnapshot } from './envelope';
import { LeadershipLostError } from './errors';
import { type MemberAddresses } from './members';
import { type ResolvedOptions } from './options';
import { type WaiterSet } from './waiters';

export interface ApplierDeps<R> {
  o: ResolvedOptions<R>;
  storage: DurableStorage;
  members: MemberAddresses;
  proposals: WaiterSet<R>;
  log: Logger;
  /** A committed membership change: the core and the members learn it (the driver's part). */
  onConfChange(cc: ConfChange): void;
}

export class Applier<R> {
  /** Highest log index the state machine holds. */
  applied: number;
  /** Index of the latest snapshot (taken here or installed from the leader). */
  snapshotIndex: number;
  private bytesSinceSnapshot = 0;

  constructor(private readonly d: ApplierDeps<R>) {
    const snap = d.storage.snapshot();
    this.snapshotIndex = snap?.meta.index ?? 0;
    this.applied = Math.max(d.storage.firstIndex() - 1, this.snapshotIndex);
  }

  /** At start: the state machine and the members' addresses from the snapshot on disk, if any. */
  restore(): void {
    const snap = this.d.storage.snapshot();
    if (snap) this.restoreFrom(snap.data);
  }

  applyEntry(e: Entry): void {
    if (e.index <= this.applied) return;
    if (e.type === EntryType.ConfChange) {
      this.d.onConfChange(decodeConfChange(e));
    } else {
      const ids = new Set<string>();
      for (const p of unwrapProposals(e.data)) {
        ids.add(p.id);
        let result: R | undefined;
        let error: unknown = null;
        try {
          result = this.d.o.stateMachine.apply(p.data, e.index);
        } catch (err) {
          // Deterministic on every member: the error is the outcome of this proposal.
          error = err;
          this.d.log.warn({ err, index: e.index }, 'state machine rejected a proposal');
        }
        const w = this.d.proposals.take(p.id);
        if (w) {
          if (error !== null) w.reject(error);
          else w.resolve(result as R);
        }
      }
      for (const lost of this.d.proposals.takeDisplaced(e.index, ids)) {
        lost.reject(
          new LeadershipLostError(
            `log index ${e.index} was committed with another leader's entry, so the proposal was not applied`,
          ),
        );
      }
    }
    this.applied = e.index;
    this.bytesSinceSnapshot += e.data.length;
  }

  /** A snapshot from the leader replaces the state machine. */
  applySnapshot(index: number, data: Uint8Array): void {
    this.restoreFrom(data);
    this.applied = index;
    this.snapshotIndex = index;
    this.bytesSinceSnapshot = 0;
    for (const w of this.d.proposals.takePlacedUpTo(index)) {
      w.reject(
        new LeadershipLostError(
          `this node caught up by snapshot at index ${index}, so whether the proposal was applied is unknown`,
        ),
      );
    }
    this.d.log.info({ index }, 'restored state machine from leader snapshot');
  }

  snapshotDue(): boolean {
    return (
      this.applied - this.snapshotIndex >= this.d.o.snapshotEvery ||
      this.bytesSinceSnapshot >= (this.d.o.snapshotBytes ?? 64 * 1024 * 1024)
    );
  }

  /** Snapshots the state machine (with the members' addresses) and compacts the log behind it. */
  async snapshotNow(conf: ConfState): Promise<void> {
    const data = wrapSnapshot(this.d.members.toRecord(), this.d.o.stateMachine.snapshot());
    await this.d.storage.createSnapshot(this.applied, conf, data, this.d.o.keepEntries);
    this.snapshotIndex = this.applied;
    this.bytesSinceSnapshot = 0;
  }

  private restoreFrom(data: Uint8Array): void {
    const u = unwrapSnapshot(data);
    if (!u) return;
    this.d.members.restore(u.addresses);
    this.d.o.stateMachine.restore(u.app);
  }
}
