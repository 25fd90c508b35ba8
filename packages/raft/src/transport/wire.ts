// Conversion between types.ts Messages and their proto3 wire objects. Everything received from a
// peer is validated here (the edge) so the core only ever sees well-formed messages.
import { z } from 'zod';
import { EntryType, MessageType, type Entry, type Message, type SnapshotMeta } from '../types';
import { InvalidRaftMessageError } from './errors';

const u64 = z.number().int().nonnegative();

const confSchema = z.object({ voters: z.array(z.string()).optional(), learners: z.array(z.string()).optional() });

const metaSchema = z.object({ index: u64, term: u64, conf: confSchema.optional() });

export const wireMessageSchema = z.object({
  type: z.enum(Object.values(MessageType) as [MessageType, ...MessageType[]]),
  from: z.string().min(1),
  to: z.string().min(1),
  term: u64.optional(),
  index: u64.optional(),
  logTerm: u64.optional(),
  entries: z.custom<Uint8Array>((v) => v instanceof Uint8Array).optional(),
  commit: u64.optional(),
  reject: z.boolean().optional(),
  rejectHint: u64.optional(),
  hintTerm: u64.optional(),
  context: z.string().optional(),
  transfer: z.boolean().optional(),
  snapshotMeta: metaSchema.optional(),
});

export type WireMessage = z.input<typeof wireMessageSchema>;

/** The snapshot data is not put on the wire here: it travels in chunks (see peer.ts). */
export function toWire(m: Message): WireMessage {
  const w: WireMessage = { type: m.type, from: m.from, to: m.to, term: m.term };
  if (m.index !== undefined) w.index = m.index;
  if (m.logTerm !== undefined) w.logTerm = m.logTerm;
  if (m.entries && m.entries.length > 0) w.entries = packEntries(m.entries);
  if (m.commit !== undefined) w.commit = m.commit;
  if (m.reject !== undefined) w.reject = m.reject;
  if (m.rejectHint !== undefined) w.rejectHint = m.rejectHint;
  if (m.hintTerm !== undefined) w.hintTerm = m.hintTerm;
  if (m.context !== undefined) w.context = m.context;
  if (m.transfer !== undefined) w.transfer = m.transfer;
  if (m.snapshot) w.snapshotMeta = m.snapshot.meta;
  return w;
}

/** Validates and converts; `data` is the reassembled snapshot for Snapshot messages. */
export function fromWire(raw: unknown, snapshotData?: Uint8Array): Message {
  const r = wireMessageSchema.safeParse(raw);
  if (!r.success) {
    const from =
      typeof (raw as { from?: unknown })?.from === 'string' ? (raw as { from: string }).from : 'unknown peer';
    const issue = r.error.issues[0];
    const detail = issue ? `${issue.path.join('.') || '(message)'}: ${issue.message}` : r.error.message;
    throw new InvalidRaftMessageError(from, detail);
  }
  const w = r.data;
  const m: Message = { type: w.type, from: w.from, to: w.to, term: w.term ?? 0 };
  if (w.index !== undefined) m.index = w.index;
  if (w.logTerm !== undefined) m.logTerm = w.logTerm;
  if (w.entries && w.entries.length > 0) m.entries = unpackEntries(w.from, w.entries);
  if (w.commit !== undefined) m.commit = w.commit;
  if (w.reject !== undefined) m.reject = w.reject;
  if (w.rejectHint !== undefined) m.rejectHint = w.rejectHint;
  if (w.hintTerm !== undefined) m.hintTerm = w.hintTerm;
  if (w.context !== undefined) m.context = w.context;
  if (w.transfer !== undefined) m.transfer = w.transfer;
  if (w.snapshotMeta) {
    const meta: SnapshotMeta = {
      index: w.snapshotMeta.index,
      term: w.snapshotMeta.term,
      conf: { voters: w.snapshotMeta.conf?.voters ?? [], learners: w.snapshotMeta.conf?.learners ?? [] },
    };
    m.snapshot = { meta, data: snapshotData ?? new Uint8Array(0) };
  }
  if (m.type === MessageType.Snapshot && !m.snapshot)
    throw new InvalidRaftMessageError(m.from, 'Snapshot message without snapshot metadata');
  return m;
}

const ENTRY_HEAD = 21;

function writeU64(b: Buffer, v: number, off: number): void {
  b.writeUInt32LE(v % 0x100000000, off);
  b.writeUInt32LE(Math.floor(v / 0x100000000), off + 4);
}

function readU64(b: Buffer, off: number): number {
  return b.readUInt32LE(off) + b.readUInt32LE(off + 4) * 0x100000000;
}

export function packEntries(entries: readonly Entry[]): Uint8Array {
  let size = 0;
  for (const e of entries) size += ENTRY_HEAD + e.data.length;
  const b = Buffer.allocUnsafe(size);
  let off = 0;
  for (const e of entries) {
    writeU64(b, e.term, off);
    writeU64(b, e.index, off + 8);
    b[off + 16] = e.type;
    b.writeUInt32LE(e.data.length, off + 17);
    b.set(e.data, off + ENTRY_HEAD);
    off += ENTRY_HEAD + e.data.length;
  }
  return b;
}

export function unpackEntries(from: string, packed: Uint8Array): Entry[] {
  const b = Buffer.from(packed.buffer, packed.byteOffset, packed.length);
  const out: Entry[] = [];
  let off = 0;
  while (off < b.length) {
    if (b.length - off < ENTRY_HEAD)
      throw new InvalidRaftMessageError(from, `entries: truncated entry header at byte ${off}`);
    const len = b.readUInt32LE(off + 17);
    const type = b[off + 16];
    if (type !== EntryType.Normal && type !== EntryType.ConfChange)
      throw new InvalidRaftMessageError(from, `entries: unknown entry type ${type} at byte ${off}`);
    const end = off + ENTRY_HEAD + len;
    if (end > b.length) throw new InvalidRaftMessageError(from, `entries: entry at byte ${off} runs past the end`);
    // Copy: the entry outlives the received gRPC buffer (it goes into the log).
    out.push({
      term: readU64(b, off),
      index: readU64(b, off + 8),
      type,
      data: new Uint8Array(b.subarray(off + ENTRY_HEAD, end)),
    });
    off = end;
  }
  return out;
}
