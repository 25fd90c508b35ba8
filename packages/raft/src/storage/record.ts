// WAL record framing (pure): [len u32][crc32(len) u32][crc32(payload) u32][payload].
// The separate length checksum lets replay tell a torn tail (a prefix of the last write) from a
// flipped bit in a length field, which would otherwise look like a record running past EOF.
// An encrypted record's payload is [SEALED][box]: the CRC covers the box, so torn-tail repair
// works without the key; the box's AEAD tag then proves the record is ours and in its place.
import { crc32 } from 'node:zlib';
import { type Entry, type EntryType, type HardState } from '../types';
import type { RecordCipher } from './cipher';

export const HEADER_BYTES = 12;

export enum RecordType {
  Entry = 1,
  HardState = 2,
  /** A snapshot became current: index/term, and `reset` when it replaces the whole log (received). */
  Snapshot = 3,
  /** First record of every segment: the last index/term of the log when the segment was cut. */
  Segment = 4,
}

/** First payload byte of a sealed record; plaintext payloads start with a RecordType (1-4). */
export const SEALED = 0xe5;

export type WalRecord =
  | { type: RecordType.Entry; entry: Entry }
  | { type: RecordType.HardState; hardState: HardState }
  | { type: RecordType.Snapshot; index: number; term: number; reset: boolean }
  | { type: RecordType.Segment; index: number; term: number };

function writeU64(buf: Buffer, v: number, off: number): void {
  buf.writeUInt32LE(v % 0x100000000, off);
  buf.writeUInt32LE(Math.floor(v / 0x100000000), off + 4);
}

function readU64(buf: Buffer, off: number): number {
  return buf.readUInt32LE(off) + buf.readUInt32LE(off + 4) * 0x100000000;
}

function frame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(crc32(out.subarray(0, 4)), 4);
  out.writeUInt32LE(crc32(payload), 8);
  payload.copy(out, HEADER_BYTES);
  return out;
}

/**
 * Frames `rec`; with `seal`, its payload is sealed with `aad` (the record's place in the log, see
 * `recordAad`).
 */
export function encodeRecord(rec: WalRecord, seal?: { cipher: RecordCipher; aad: Buffer }): Buffer {
  const plain = encodePayload(rec);
  if (!seal) return frame(plain);
  return frame(Buffer.concat([Buffer.of(SEALED), seal.cipher.seal(plain, seal.aad)]));
}

/** The associated data of a WAL record: its segment and byte offset (a record moved elsewhere fails). */
export function recordAad(segmentSeq: number, offset: number): Buffer {
  const b = Buffer.allocUnsafe(17);
  b[0] = 0x57; // 'W'
  writeU64(b, segmentSeq, 1);
  writeU64(b, offset, 9);
  return b;
}

function encodePayload(rec: WalRecord): Buffer {
  switch (rec.type) {
    case RecordType.Entry: {
      const e = rec.entry;
      const p = Buffer.allocUnsafe(18 + e.data.length);
      p[0] = RecordType.Entry;
      writeU64(p, e.term, 1);
      writeU64(p, e.index, 9);
      p[17] = e.type;
      p.set(e.data, 18);
      return p;
    }
    case RecordType.HardState: {
      const hs = rec.hardState;
      const vote = hs.vote === null ? null : Buffer.from(hs.vote, 'utf8');
      const p = Buffer.allocUnsafe(18 + (vote?.length ?? 0));
      p[0] = RecordType.HardState;
      writeU64(p, hs.term, 1);
      writeU64(p, hs.commit, 9);
      p[17] = vote === null ? 0 : 1;
      if (vote) vote.copy(p, 18);
      return p;
    }
    case RecordType.Snapshot:
    case RecordType.Segment: {
      const p = Buffer.allocUnsafe(18);
      p[0] = rec.type;
      writeU64(p, rec.index, 1);
      writeU64(p, rec.term, 9);
      p[17] = rec.type === RecordType.Snapshot && rec.reset ? 1 : 0;
      return p;
    }
  }
}

export type DecodeResult =
  | { kind: 'record'; record: WalRecord; next: number; sealed: boolean }
  /** Intact (its CRC holds) but sealed, and no cipher was given or the cipher refused it. */
  | { kind: 'unreadable'; reason: string; next: number }
  /** Not enough bytes for a whole record: a write cut short (or the end). */
  | { kind: 'short' }
  | { kind: 'bad-length' }
  | { kind: 'bad-checksum'; next: number };

/**
 * Decodes the record at `off`; never throws on malformed input. A sealed record is opened with
 * `cipher` and `aad(off)`; a plaintext one is read as it is (a directory written before encryption).
 */
export function decodeRecord(
  buf: Buffer,
  off: number,
  cipher?: RecordCipher,
  aad?: (off: number) => Buffer,
): DecodeResult {
  if (buf.length - off < HEADER_BYTES) return { kind: 'short' };
  if (crc32(buf.subarray(off, off + 4)) !== buf.readUInt32LE(off + 4)) return { kind: 'bad-length' };
  const len = buf.readUInt32LE(off);
  const start = off + HEADER_BYTES;
  const next = start + len;
  if (next > buf.length) return { kind: 'short' };
  const p = buf.subarray(start, next);
  if (crc32(p) !== buf.readUInt32LE(off + 8)) return { kind: 'bad-checksum', next };
  if (p[0] !== SEALED) {
    const record = parsePayload(p);
    return record ? { kind: 'record', record, next, sealed: false } : { kind: 'bad-checksum', next };
  }
  if (!cipher || !aad) return { kind: 'unreadable', reason: 'the record is encrypted and no data key was given', next };
  let plain: Buffer;
  try {
    plain = cipher.open(p.subarray(1), aad(off));
  } catch {
    return {
      kind: 'unreadable',
      reason: 'the record does not decrypt with this data key (wrong key, or altered)',
      next,
    };
  }
  const record = parsePayload(plain);
  return record ? { kind: 'record', record, next, sealed: true } : { kind: 'bad-checksum', next };
}

function parsePayload(p: Buffer): WalRecord | null {
  if (p.length < 18) return null;
  switch (p[0]) {
    case RecordType.Entry:
      return {
        type: RecordType.Entry,
        // Copy: the replay buffer is large and must not be pinned by a small entry.
        entry: {
          term: readU64(p, 1),
          index: readU64(p, 9),
          type: p[17] as EntryType,
          data: new Uint8Array(p.subarray(18)),
        },
      };
    case RecordType.HardState:
      return {
        type: RecordType.HardState,
        hardState: {
          term: readU64(p, 1),
          commit: readU64(p, 9),
          vote: p[17] === 0 ? null : p.subarray(18).toString('utf8'),
        },
      };
    case RecordType.Snapshot:
      return { type: RecordType.Snapshot, index: readU64(p, 1), term: readU64(p, 9), reset: p[17] === 1 };
    case RecordType.Segment:
      return { type: RecordType.Segment, index: readU64(p, 1), term: readU64(p, 9) };
    default:
      return null;
  }
}
