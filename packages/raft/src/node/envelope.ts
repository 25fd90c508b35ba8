// Framing the driver adds around application bytes (pure). Proposals carry a request id so the
// proposing node can match the applied entry to its waiting caller, wherever it was proposed;
// snapshots carry the member addresses so a node restored from one can reach its peers.
import { type NodeId } from '../types';

const PROPOSAL_V1 = 1;
export const REQUEST_ID_BYTES = 16;

export function wrapProposal(id: Buffer, data: Uint8Array): Uint8Array {
  const out = Buffer.allocUnsafe(1 + REQUEST_ID_BYTES + data.length);
  out[0] = PROPOSAL_V1;
  id.copy(out, 1, 0, REQUEST_ID_BYTES);
  out.set(data, 1 + REQUEST_ID_BYTES);
  return out;
}

const BATCH_V1 = 2;

export interface Proposal {
  id: string;
  data: Uint8Array;
}

/**
 * Several proposals in one log entry (group commit at the driver): one entry, one WAL record and
 * one Append instead of one per proposal. Applied in order, all at the entry's index.
 */
export function wrapBatch(items: readonly { id: Buffer; data: Uint8Array }[]): Uint8Array {
  if (items.length === 1 && items[0]) return wrapProposal(items[0].id, items[0].data);
  let size = 5;
  for (const it of items) size += REQUEST_ID_BYTES + 4 + it.data.length;
  const out = Buffer.allocUnsafe(size);
  out[0] = BATCH_V1;
  out.writeUInt32LE(items.length, 1);
  let off = 5;
  for (const it of items) {
    it.id.copy(out, off, 0, REQUEST_ID_BYTES);
    out.writeUInt32LE(it.data.length, off + REQUEST_ID_BYTES);
    out.set(it.data, off + REQUEST_ID_BYTES + 4);
    off += REQUEST_ID_BYTES + 4 + it.data.length;
  }
  return out;
}

/** The proposals in an entry; empty for the no-op a new leader appends (or anything unframed). */
export function unwrapProposals(entry: Uint8Array): Proposal[] {
  const b = Buffer.from(entry.buffer, entry.byteOffset, entry.length);
  if (b.length >= 1 + REQUEST_ID_BYTES && b[0] === PROPOSAL_V1) {
    return [{ id: b.toString('hex', 1, 1 + REQUEST_ID_BYTES), data: entry.subarray(1 + REQUEST_ID_BYTES) }];
  }
  if (b.length < 5 || b[0] !== BATCH_V1) return [];
  const n = b.readUInt32LE(1);
  const out: Proposal[] = [];
  let off = 5;
  for (let i = 0; i < n && off + REQUEST_ID_BYTES + 4 <= b.length; i++) {
    const len = b.readUInt32LE(off + REQUEST_ID_BYTES);
    const start = off + REQUEST_ID_BYTES + 4;
    out.push({ id: b.toString('hex', off, off + REQUEST_ID_BYTES), data: entry.subarray(start, start + len) });
    off = start + len;
  }
  return out;
}

export function wrapSnapshot(addresses: Record<NodeId, string>, app: Uint8Array): Uint8Array {
  const head = Buffer.from(JSON.stringify({ addresses }), 'utf8');
  const out = Buffer.allocUnsafe(4 + head.length + app.length);
  out.writeUInt32LE(head.length, 0);
  head.copy(out, 4);
  out.set(app, 4 + head.length);
  return out;
}

/** The bootstrap snapshot has no data: no addresses and no application state. */
export function unwrapSnapshot(data: Uint8Array): { addresses: Record<NodeId, string>; app: Uint8Array } | null {
  if (data.length === 0) return null;
  const b = Buffer.from(data.buffer, data.byteOffset, data.length);
  const n = b.readUInt32LE(0);
  const head = JSON.parse(b.toString('utf8', 4, 4 + n)) as { addresses?: Record<NodeId, string> };
  return { addresses: head.addresses ?? {}, app: data.subarray(4 + n) };
}

/** ConfChange context: the member's address, and the request id of whoever waits for it. */
export interface MemberContext {
  address: string;
  req?: string;
}

export function encodeMemberContext(c: MemberContext): string {
  return JSON.stringify(c);
}

export function decodeMemberContext(s: string | undefined): MemberContext | null {
  if (!s) return null;
  try {
    const v = JSON.parse(s) as MemberContext;
    return typeof v.address === 'string' ? v : null;
  } catch {
    return null;
  }
}
