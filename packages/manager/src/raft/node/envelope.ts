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

/** Null for the empty no-op a new leader appends (and anything not framed by wrapProposal). */
export function unwrapProposal(entry: Uint8Array): { id: string; data: Uint8Array } | null {
  if (entry.length < 1 + REQUEST_ID_BYTES || entry[0] !== PROPOSAL_V1) return null;
  const b = Buffer.from(entry.buffer, entry.byteOffset, entry.length);
  return { id: b.toString('hex', 1, 1 + REQUEST_ID_BYTES), data: entry.subarray(1 + REQUEST_ID_BYTES) };
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
