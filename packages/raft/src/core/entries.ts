// Small helpers over entries shared by the log, the storage and the core.
import { EntryType, type ConfChange, type Entry } from '../types';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Approximate wire size of an entry: what maxSizePerMsg budgets against. */
export function entrySize(e: Entry): number {
  return e.data.length + 16;
}

/** The longest prefix of `ents` within `maxBytes`, but always at least one entry (etcd's limitSize). */
export function limitSize(ents: Entry[], maxBytes: number | undefined): Entry[] {
  if (maxBytes === undefined) return ents;
  let size = 0;
  let n = 0;
  for (const e of ents) {
    size += entrySize(e);
    if (n > 0 && size > maxBytes) break;
    n++;
  }
  return n === ents.length ? ents : ents.slice(0, n);
}

export function encodeConfChange(cc: ConfChange): Uint8Array {
  return encoder.encode(JSON.stringify(cc));
}

export function decodeConfChange(e: Entry): ConfChange {
  if (e.type !== EntryType.ConfChange) throw new TypeError(`entry ${e.index} is not a ConfChange entry`);
  return JSON.parse(decoder.decode(e.data)) as ConfChange;
}
