// Merging one Ready's messages: contiguous Appends join, only the best AppendResp is kept, order holds.
import { EntryType, MessageType, type Entry, type Message } from '../types';
import { coalesce } from './coalesce';

const e = (index: number, term = 2): Entry => ({ index, term, type: EntryType.Normal, data: new Uint8Array([index]) });
const app = (to: string, prev: number, idx: number[], commit: number, term = 2): Message => ({
  type: MessageType.Append,
  from: 'a',
  to,
  term,
  index: prev,
  logTerm: 2,
  entries: idx.map((i) => e(i)),
  commit,
});

describe('coalesce', () => {
  it('merges contiguous Appends per follower, keeping the first prev index and the latest commit', () => {
    const out = coalesce([
      app('b', 10, [11], 9),
      app('c', 10, [11], 9),
      app('b', 11, [12], 10),
      app('c', 11, [12], 10),
      app('b', 12, [13, 14], 11),
    ]);
    expect(out).toEqual([{ ...app('b', 10, [11, 12, 13, 14], 11) }, { ...app('c', 10, [11, 12], 10) }]);
  });

  it('does not merge across a gap, a term change, or another message to the same peer', () => {
    const hb: Message = { type: MessageType.Heartbeat, from: 'a', to: 'b', term: 2, commit: 11 };
    expect(coalesce([app('b', 10, [11], 9), app('b', 12, [13], 9)])).toHaveLength(2);
    expect(coalesce([app('b', 10, [11], 9), app('b', 11, [12], 9, 3)])).toHaveLength(2);
    expect(coalesce([app('b', 10, [11], 9), hb, app('b', 11, [12], 9)])).toEqual([
      app('b', 10, [11], 9),
      hb,
      app('b', 11, [12], 9),
    ]);
  });

  it('keeps only the highest successful AppendResp to a leader, but every rejection', () => {
    const resp = (index: number, reject = false): Message => ({
      type: MessageType.AppendResp,
      from: 'b',
      to: 'a',
      term: 2,
      index,
      ...(reject ? { reject, rejectHint: 3 } : {}),
    });
    expect(coalesce([resp(11), resp(12), resp(14)])).toEqual([resp(14)]);
    expect(coalesce([resp(11), resp(5, true), resp(12)])).toEqual([resp(11), resp(5, true), resp(12)]);
  });
});
