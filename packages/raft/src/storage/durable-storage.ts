// LogStorage on disk: the WAL and snapshot files are the truth; the core's MemoryStorage is the
// in-memory index the core reads from (etcd's raftexample does the same with wal + MemoryStorage).
import path from 'node:path';
import { silentLogger, type Logger } from '../log';
import { initialSnapshot, MemoryStorage } from '../core/memory-storage';
import { type ConfState, type Entry, type HardState, type LogStorage, type NodeId, type Snapshot } from '../types';
import type { RecordCipher } from './cipher';
import { WalCorruptError } from './errors';
import { SnapshotStore } from './snapshot-store';
import { Wal } from './wal';

export interface DurableStorageOptions {
  /** Founding voters of a new cluster; used only when the directory holds no state yet. */
  bootstrap?: NodeId[];
  segmentBytes?: number;
  log?: Logger;
  /** Encryption at rest: WAL records and snapshot files are sealed with it; plaintext ones are migrated on open. */
  cipher?: RecordCipher;
}

export class DurableStorage implements LogStorage {
  private constructor(
    private readonly wal: Wal,
    private readonly snaps: SnapshotStore,
    private readonly mem: MemoryStorage,
    private readonly log: Logger,
  ) {}

  /** Opens (or creates) `dir`/wal and `dir`/snap and replays them. */
  static async open(dir: string, opts: DurableStorageOptions = {}): Promise<DurableStorage> {
    const log = opts.log ?? silentLogger;
    const walDir = path.join(dir, 'wal');
    const { wal, replay } = await Wal.open(walDir, { segmentBytes: opts.segmentBytes, log, cipher: opts.cipher });
    const snaps = new SnapshotStore(path.join(dir, 'snap'), opts.cipher);
    const mem = new MemoryStorage();
    const s = new DurableStorage(wal, snaps, mem, log);
    try {
      const fresh = replay.snapshot === null && replay.entries.length === 0 && replay.hardState.term === 0;
      if (fresh && opts.bootstrap && opts.bootstrap.length > 0) {
        await s.saveReady({ term: 1, vote: null, commit: 1 }, [], initialSnapshot(opts.bootstrap));
        return s;
      }
      let base = 0;
      if (replay.snapshot) {
        const { sealed, ...snap } = await snaps.load(replay.snapshot);
        // Written before encryption at rest: replaced whole by a sealed copy (temp file, fsync, rename).
        if (opts.cipher && !sealed) await snaps.save(snap);
        // Older snapshot files the WAL no longer names may be plaintext: drop them.
        if (opts.cipher) await snaps.prune(replay.snapshot);
        mem.applySnapshot(snap);
        base = replay.snapshot.index;
      }
      const live = replay.entries.filter((e) => e.index > base);
      const resume = live[0];
      if (resume && resume.index !== base + 1) {
        throw new WalCorruptError(
          walDir,
          0,
          `the log resumes at index ${resume.index} but the snapshot ends at ${base}: segments are missing`,
        );
      }
      mem.append(live);
      mem.setHardState(replay.hardState);
      log.info({ snapshot: base, lastIndex: mem.lastIndex(), hardState: replay.hardState }, 'raft storage recovered');
      return s;
    } catch (e) {
      await wal.close();
      throw e;
    }
  }

  initialState(): { hardState: HardState; conf: ConfState } {
    return this.mem.initialState();
  }
  firstIndex(): number {
    return this.mem.firstIndex();
  }
  lastIndex(): number {
    return this.mem.lastIndex();
  }
  term(index: number): number {
    return this.mem.term(index);
  }
  entries(lo: number, hi: number, maxBytes?: number): Entry[] {
    return this.mem.entries(lo, hi, maxBytes);
  }
  snapshot(): Snapshot | null {
    return this.mem.snapshot();
  }
  hardState(): HardState {
    return this.mem.hardState();
  }

  /**
   * Makes a Ready's durable part durable, in the order replay relies on: a received snapshot file,
   * then its WAL marker, then entries and hard state with one fsync. Only then is it visible to the core.
   */
  async saveReady(
    hardState: HardState | undefined,
    entries: Entry[],
    snapshot?: Snapshot,
    opts: { inline?: boolean } = {},
  ): Promise<void> {
    if (snapshot && snapshot.meta.index > (this.mem.snapshot()?.meta.index ?? 0)) {
      await this.snaps.save(snapshot);
      await this.wal.saveSnapshot(snapshot.meta, true);
      this.mem.applySnapshot(snapshot);
      await this.wal.releaseTo(snapshot.meta.index);
      await this.snaps.prune(snapshot.meta);
    }
    await this.wal.save(hardState, entries, opts);
    this.mem.append(entries);
    if (hardState) this.mem.setHardState(hardState);
  }

  /**
   * Records the application's snapshot at `index` (applied), keeps `keepEntries` entries before it
   * for slow followers, and drops the WAL segments and snapshot files it makes redundant.
   */
  async createSnapshot(index: number, conf: ConfState, data: Uint8Array, keepEntries = 0): Promise<Snapshot> {
    const snap = this.mem.createSnapshot(index, conf, data);
    await this.snaps.save(snap);
    await this.wal.saveSnapshot(snap.meta, false);
    const compactTo = index - keepEntries;
    if (compactTo > this.mem.firstIndex()) this.mem.compact(compactTo);
    await this.wal.releaseTo(index);
    await this.snaps.prune(snap.meta);
    this.log.debug({ index, compactTo }, 'raft snapshot created');
    return snap;
  }

  walSegments(): string[] {
    return this.wal.segmentFiles();
  }

  async close(): Promise<void> {
    await this.wal.close();
  }
}
