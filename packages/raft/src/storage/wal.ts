// Append-only write-ahead log in segment files. One write + one fdatasync per save() (the driver
// calls it once per Ready), so concurrent proposals share an fsync. Replay repairs a torn tail and
// refuses to start on corruption anywhere else.
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import { silentLogger, type Logger } from '../log';
import { type Entry, type HardState } from '../types';
import type { RecordCipher } from './cipher';
import { decodeRecord, encodeRecord, recordAad, RecordType, type WalRecord } from './record';
import { StorageClosedError, WalCorruptError, WalDecryptError } from './errors';
import { fsyncDir, hex16 } from './fsutil';

export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

export interface WalOptions {
  segmentBytes?: number;
  log?: Logger;
  /**
   * Seals every record written (encryption at rest). Segments holding plaintext records (written
   * before encryption was turned on) are rewritten sealed when the WAL opens.
   */
  cipher?: RecordCipher;
}

export interface SnapshotMarker {
  index: number;
  term: number;
}

/** The durable state found on open. `entries` are contiguous and follow `firstIndex - 1`. */
export interface WalReplay {
  hardState: HardState;
  snapshot: SnapshotMarker | null;
  firstIndex: number;
  entries: Entry[];
}

interface Segment {
  seq: number;
  /** Index of the first entry written after the segment was cut. */
  start: number;
  file: string;
}

const SEGMENT_RE = /^([0-9a-f]{16})-([0-9a-f]{16})\.wal$/;

export class Wal {
  private closed = false;

  private constructor(
    private readonly dir: string,
    private readonly segmentBytes: number,
    private readonly log: Logger,
    private segments: Segment[],
    private fh: fsp.FileHandle,
    private size: number,
    private lastIndex: number,
    private lastTerm: number,
    private hardState: HardState,
    private snapshot: SnapshotMarker | null,
    private readonly cipher: RecordCipher | undefined,
  ) {}

  static async open(dir: string, opts: WalOptions = {}): Promise<{ wal: Wal; replay: WalReplay }> {
    const log = opts.log ?? silentLogger;
    const segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    await fsp.mkdir(dir, { recursive: true });
    const names = (await fsp.readdir(dir)).sort();
    // A sealing cut short by a crash: the plaintext segment is still there and is sealed again below.
    for (const n of names) if (n.endsWith('.seal.tmp')) await fsp.rm(path.join(dir, n), { force: true });
    const segments = names.flatMap((file) => parseSegmentName(file) ?? []);

    const st = new ReplayState();
    const plain: Segment[] = [];
    for (const [i, seg] of segments.entries()) {
      const r = await replaySegment(dir, seg, i === 0, i === segments.length - 1, st, log, opts.cipher);
      if (r.plaintext) plain.push(seg);
    }
    // Written before encryption at rest: seal them now, each replaced whole (write, fsync, rename).
    if (opts.cipher) for (const seg of plain) await sealSegment(dir, seg, opts.cipher, log);

    let fh: fsp.FileHandle;
    let size: number;
    const last = segments.at(-1);
    if (!last) {
      const seg = { seq: 0, start: 1, file: segmentName(0, 1) };
      fh = await createSegment(
        dir,
        seg,
        [
          { type: RecordType.Segment, index: 0, term: 0 },
          { type: RecordType.HardState, hardState: st.hardState },
        ],
        opts.cipher,
      );
      size = (await fh.stat()).size;
      segments.push(seg);
    } else {
      fh = await fsp.open(path.join(dir, last.file), 'r+');
      size = (await fh.stat()).size;
    }
    const entries = st.entries;
    const lastIndex = st.offset + entries.length - 1;
    const lastTerm = entries.at(-1)?.term ?? st.baseTerm;
    const wal = new Wal(
      dir,
      segmentBytes,
      log,
      segments,
      fh,
      size,
      lastIndex,
      lastTerm,
      st.hardState,
      st.snapshot,
      opts.cipher,
    );
    return { wal, replay: { hardState: st.hardState, snapshot: st.snapshot, firstIndex: st.offset, entries } };
  }

  /** Appends the hard state and entries (entries may overwrite a conflicting suffix) and fsyncs once. */
  /**
   * `inline`: fdatasync on the event loop thread. Cheaper than a thread-pool round trip when the
   * caller has nothing to overlap with the disk (a follower must fsync before it answers anyway).
   */
  async save(
    hardState: HardState | undefined,
    entries: readonly Entry[],
    opts: { inline?: boolean } = {},
  ): Promise<void> {
    if (!hardState && entries.length === 0) return;
    const recs: WalRecord[] = entries.map((entry) => ({ type: RecordType.Entry, entry }));
    if (hardState) recs.push({ type: RecordType.HardState, hardState });
    // etcd's MustSync: a commit index that moved is recomputed after a crash, so only entries,
    // term and vote (promises made to other nodes) need an fsync before the Ready goes on.
    const mustSync =
      entries.length > 0 ||
      (hardState !== undefined && (hardState.term !== this.hardState.term || hardState.vote !== this.hardState.vote));
    await this.write(recs, mustSync, opts.inline ?? false);
    if (hardState) this.hardState = hardState;
    const last = entries.at(-1);
    if (last) {
      this.lastIndex = last.index;
      this.lastTerm = last.term;
    }
  }

  /**
   * Records that a snapshot file (already durable) is now current. `reset` for a snapshot received
   * from the leader: it replaces the whole log, so replay drops every earlier entry.
   */
  async saveSnapshot(marker: SnapshotMarker, reset: boolean): Promise<void> {
    await this.write([{ type: RecordType.Snapshot, index: marker.index, term: marker.term, reset }]);
    this.snapshot = { ...marker };
    if (reset) {
      this.lastIndex = marker.index;
      this.lastTerm = marker.term;
    }
  }

  /** Deletes segments whose live entries are all at or below `index` (covered by the snapshot). */
  async releaseTo(index: number): Promise<void> {
    this.assertOpen();
    let drop = 0;
    // A segment may go once the next one starts at or below index + 1; the newest always stays.
    while ((this.segments[drop + 1]?.start ?? Infinity) - 1 <= index) drop++;
    if (drop === 0) return;
    const gone = this.segments.slice(0, drop);
    this.segments = this.segments.slice(drop);
    for (const s of gone) await fsp.rm(path.join(this.dir, s.file), { force: true });
    await fsyncDir(this.dir);
    this.log.debug({ dropped: gone.map((s) => s.file), index }, 'released WAL segments covered by snapshot');
  }

  segmentFiles(): string[] {
    return this.segments.map((s) => s.file);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new StorageClosedError();
  }

  private async write(recs: WalRecord[], sync = true, inline = false): Promise<void> {
    this.assertOpen();
    if (this.size >= this.segmentBytes) await this.cut();
    const buf = encodeAll(recs, this.segments.at(-1)!.seq, this.size, this.cipher);
    // The write only copies into the page cache: do it synchronously. The fdatasync goes to the
    // thread pool so the event loop keeps sending and receiving while the disk works.
    let off = 0;
    while (off < buf.length) off += fs.writeSync(this.fh.fd, buf, off, buf.length - off, this.size + off);
    this.size += buf.length;
    if (sync && inline) fs.fdatasyncSync(this.fh.fd);
    else if (sync) await this.fh.datasync();
  }

  /** Starts a new segment whose header carries everything replay needs if older ones are dropped. */
  private async cut(): Promise<void> {
    // open() leaves one segment at least and releaseTo() keeps the newest: never empty.
    const prev = this.segments[this.segments.length - 1]!;
    const seg = { seq: prev.seq + 1, start: this.lastIndex + 1, file: segmentName(prev.seq + 1, this.lastIndex + 1) };
    const header: WalRecord[] = [{ type: RecordType.Segment, index: this.lastIndex, term: this.lastTerm }];
    if (this.snapshot)
      header.push({ type: RecordType.Snapshot, index: this.snapshot.index, term: this.snapshot.term, reset: false });
    header.push({ type: RecordType.HardState, hardState: this.hardState });
    const fh = await createSegment(this.dir, seg, header, this.cipher);
    await this.fh.close();
    this.fh = fh;
    this.size = (await fh.stat()).size;
    this.segments.push(seg);
  }
}

function parseSegmentName(file: string): Segment | null {
  const m = SEGMENT_RE.exec(file);
  if (!m?.[1] || !m[2]) return null;
  return { seq: parseInt(m[1], 16), start: parseInt(m[2], 16), file };
}

function segmentName(seq: number, start: number): string {
  return `${hex16(seq)}-${hex16(start)}.wal`;
}

/** Frames `recs` written at byte `at` of segment `seq`, each sealed with its place when a cipher is given. */
function encodeAll(recs: WalRecord[], seq: number, at: number, cipher: RecordCipher | undefined): Buffer {
  if (!cipher) return Buffer.concat(recs.map((r) => encodeRecord(r)));
  const out: Buffer[] = [];
  let off = at;
  for (const r of recs) {
    const b = encodeRecord(r, { cipher, aad: recordAad(seq, off) });
    out.push(b);
    off += b.length;
  }
  return Buffer.concat(out);
}

async function createSegment(
  dir: string,
  seg: { seq: number; file: string },
  header: WalRecord[],
  cipher: RecordCipher | undefined,
): Promise<fsp.FileHandle> {
  const fh = await fsp.open(path.join(dir, seg.file), 'wx+');
  await fh.write(encodeAll(header, seg.seq, 0, cipher), 0);
  await fh.sync();
  await fsyncDir(dir);
  return fh;
}

class ReplayState {
  hardState: HardState = { term: 0, vote: null, commit: 0 };
  snapshot: SnapshotMarker | null = null;
  /** Index of entries[0]; baseTerm is the term of offset - 1. */
  offset = 1;
  baseTerm = 0;
  entries: Entry[] = [];

  lastIndex(): number {
    return this.offset + this.entries.length - 1;
  }
}

/** Reads every record of a segment (sealed or not) as it stands; the file must hold no torn tail. */
async function readSegment(dir: string, seg: Segment, cipher: RecordCipher | undefined): Promise<WalRecord[]> {
  const full = path.join(dir, seg.file);
  const buf = await fsp.readFile(full);
  const recs: WalRecord[] = [];
  for (let off = 0; off < buf.length;) {
    const r = decodeRecord(buf, off, cipher, (o) => recordAad(seg.seq, o));
    if (r.kind !== 'record') throw new WalCorruptError(full, off, `cannot re-read it to seal it (${r.kind})`);
    recs.push(r.record);
    off = r.next;
  }
  return recs;
}

/** Replaces a segment by the same records sealed: a temp file, fsynced, renamed over it, the directory fsynced. */
async function sealSegment(dir: string, seg: Segment, cipher: RecordCipher, log: Logger): Promise<void> {
  const recs = await readSegment(dir, seg, cipher);
  const tmp = path.join(dir, `${seg.file}.seal.tmp`);
  const fh = await fsp.open(tmp, 'w');
  try {
    await fh.write(encodeAll(recs, seg.seq, 0, cipher), 0);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, path.join(dir, seg.file));
  await fsyncDir(dir);
  log.info({ segment: seg.file, records: recs.length }, 'sealed a plaintext WAL segment (encryption at rest)');
}

async function replaySegment(
  dir: string,
  seg: Segment,
  first: boolean,
  last: boolean,
  st: ReplayState,
  log: Logger,
  cipher: RecordCipher | undefined,
): Promise<{ plaintext: boolean }> {
  const file = seg.file;
  const full = path.join(dir, file);
  const buf = await fsp.readFile(full);
  let off = 0;
  let plaintext = false;
  while (off < buf.length) {
    const r = decodeRecord(buf, off, cipher, (o) => recordAad(seg.seq, o));
    if (r.kind === 'record') {
      applyRecord(r.record, first && off === 0, st, file, off);
      if (!r.sealed) plaintext = true;
      off = r.next;
      continue;
    }
    if (r.kind === 'unreadable') throw new WalDecryptError(full, off, r.reason);
    // A crash mid-write leaves a prefix of the last write: too short for a record, or a final
    // record whose bytes were not all written (zero-filled or garbage up to EOF).
    const torn =
      last &&
      (r.kind === 'short' ||
        (r.kind === 'bad-checksum' && r.next === buf.length) ||
        (r.kind === 'bad-length' && buf.subarray(off).every((b) => b === 0)));
    if (!torn) {
      const reason =
        r.kind === 'short'
          ? 'record runs past the end of a non-final segment'
          : r.kind === 'bad-length'
            ? 'length checksum mismatch'
            : 'record checksum mismatch';
      throw new WalCorruptError(full, off, reason);
    }
    log.warn(
      { file: full, offset: off, droppedBytes: buf.length - off },
      'WAL ends in a torn record (crash mid-write); truncating it',
    );
    const fh = await fsp.open(full, 'r+');
    try {
      await fh.truncate(off);
      await fh.sync();
    } finally {
      await fh.close();
    }
    return { plaintext };
  }
  return { plaintext };
}

function applyRecord(rec: WalRecord, segmentHead: boolean, st: ReplayState, file: string, off: number): void {
  switch (rec.type) {
    case RecordType.Segment:
      // The oldest surviving segment: its header says where the live log begins.
      if (segmentHead) {
        st.offset = rec.index + 1;
        st.baseTerm = rec.term;
        st.entries = [];
      }
      return;
    case RecordType.HardState:
      st.hardState = rec.hardState;
      return;
    case RecordType.Snapshot:
      st.snapshot = { index: rec.index, term: rec.term };
      if (rec.reset) {
        st.offset = rec.index + 1;
        st.baseTerm = rec.term;
        st.entries = [];
      }
      return;
    case RecordType.Entry: {
      const e = rec.entry;
      if (e.index > st.lastIndex() + 1) {
        throw new WalCorruptError(file, off, `entry ${e.index} follows ${st.lastIndex()}: entries are missing`);
      }
      if (e.index < st.offset) {
        // Overwrites everything we hold, including the base: the log restarts here.
        st.offset = e.index;
        st.entries = [e];
        return;
      }
      if (e.index <= st.lastIndex()) st.entries.length = e.index - st.offset;
      st.entries.push(e);
      return;
    }
  }
}
