// Proposal and snapshot envelopes: what the driver writes into entries and snapshots round-trips.
import { unwrapProposals, unwrapSnapshot, wrapBatch, wrapProposal, wrapSnapshot } from './envelope';

const id = (n: number) => Buffer.alloc(16, n);

describe('envelope', () => {
  it('round-trips a single proposal and a batch, in order', () => {
    const one = wrapProposal(id(1), new Uint8Array([9, 9]));
    expect(unwrapProposals(one).map((p) => [p.id, Array.from(p.data)])).toEqual([[id(1).toString('hex'), [9, 9]]]);
    const batch = wrapBatch([
      { id: id(1), data: new Uint8Array([1]) },
      { id: id(2), data: new Uint8Array(0) },
      { id: id(3), data: new Uint8Array([3, 3, 3]) },
    ]);
    expect(unwrapProposals(batch).map((p) => [p.id.slice(0, 2), Array.from(p.data)])).toEqual([
      ['01', [1]],
      ['02', []],
      ['03', [3, 3, 3]],
    ]);
  });

  it('treats the empty no-op entry as no proposal', () => {
    expect(unwrapProposals(new Uint8Array(0))).toEqual([]);
  });

  it('carries member addresses in snapshots; the bootstrap snapshot has none', () => {
    const s = wrapSnapshot({ a: '127.0.0.1:1' }, new Uint8Array([5]));
    const u = unwrapSnapshot(s)!;
    expect(u.addresses).toEqual({ a: '127.0.0.1:1' });
    expect(Array.from(u.app)).toEqual([5]);
    expect(unwrapSnapshot(new Uint8Array(0))).toBeNull();
  });
});
