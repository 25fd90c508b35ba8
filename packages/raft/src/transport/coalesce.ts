// Merges the messages of one Ready before they go on the wire (pure). A leader that took 64
// proposals one by one emits 64 one-entry Appends per follower; the follower would answer each.
// Merging contiguous Appends into one, and keeping only the highest successful AppendResp, sends
// the same information in a fraction of the messages (etcd gets this from batching proposals).
import { MessageType, type Message } from '../types';

function canExtend(a: Message, b: Message): boolean {
  if (a.type !== MessageType.Append || b.type !== MessageType.Append) return false;
  if (a.to !== b.to || a.from !== b.from || a.term !== b.term) return false;
  const last = a.entries?.at(-1);
  if (!last || !b.entries || b.entries.length === 0) return false;
  // b must continue exactly where a ends: same previous entry as a's last one.
  return b.index === last.index && b.logTerm === last.term;
}

export function coalesce(msgs: readonly Message[]): Message[] {
  if (msgs.length < 2) return msgs.slice();
  const out: Message[] = [];
  /** Per peer: position in `out` of the Append we may still extend, and of the best AppendResp. */
  const openAppend = new Map<string, number>();
  const bestResp = new Map<string, number>();
  for (const m of msgs) {
    if (m.type === MessageType.Append) {
      const at = openAppend.get(m.to);
      const prev = at === undefined ? undefined : out[at];
      if (prev?.entries && m.entries && canExtend(prev, m)) {
        // `prev` is our own copy (made below), so its entries array can grow in place.
        prev.entries.push(...m.entries);
        prev.commit = Math.max(prev.commit ?? 0, m.commit ?? 0);
        continue;
      }
      openAppend.set(m.to, out.length);
      out.push(m.entries ? { ...m, entries: m.entries.slice() } : m);
      continue;
    }
    if (m.type === MessageType.AppendResp && !m.reject) {
      const at = bestResp.get(m.to);
      const prev = at === undefined ? undefined : out[at];
      if (prev && prev.term === m.term && prev.from === m.from) {
        if ((m.index ?? 0) > (prev.index ?? 0)) out[at!] = m;
        continue;
      }
      bestResp.set(m.to, out.length);
      out.push(m);
      continue;
    }
    // Anything else to this peer ends the run: order relative to it must be kept.
    openAppend.delete(m.to);
    bestResp.delete(m.to);
    out.push(m);
  }
  return out;
}
