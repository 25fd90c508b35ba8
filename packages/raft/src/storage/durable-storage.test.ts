// Raft §7 (log compaction): after a snapshot, the log before it is discarded; a restart rebuilds
// the state from the snapshot plus the entries that follow it.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EntryType, type Entry } from '../types';
import { DurableStorage } from './durable-storage';
import { SnapshotCorruptError } from './errors';

const ent = (index: number, term: number): Entry => ({
  index,
  term,
  type: EntryType.Normal,
  data: new Uint8Array(Buffer.from(`v${index}`)),
});

let dir: string;
beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'flotilla-ds-'));
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

describe('DurableStorage', () => {
  it('bootstraps a founding member once, then restarts from disk', async () => {
    const s = await DurableStorage.open(dir, { bootstrap: ['a', 'b', 'c'] });
    expect(s.initialState()).toEqual({
      hardState: { term: 1, vote: null, commit: 1 },
      conf: { voters: ['a', 'b', 'c'], learners: [] },
    });
    expect([s.firstIndex(), s.lastIndex()]).toEqual([2, 1]);
    await s.saveReady({ term: 2, vote: 'a', commit: 1 }, [ent(2, 2), ent(3, 2)]);
    await s.close();
    const r = await DurableStorage.open(dir, { bootstrap: ['x'] });
    expect(r.initialState()).toEqual({
      hardState: { term: 2, vote: 'a', commit: 1 },
      conf: { voters: ['a', 'b', 'c'], learners: [] },
    });
    expect(r.entries(2, 4)).toEqual([ent(2, 2), ent(3, 2)]);
    await r.close();
  });

  it('snapshot + compaction + restart: state is the snapshot plus later entries, old segments are gone', async () => {
    const s = await DurableStorage.open(dir, { bootstrap: ['a'], segmentBytes: 300 });
    for (let i = 2; i <= 60; i++) await s.saveReady({ term: 1, vote: 'a', commit: i }, [ent(i, 1)]);
    const segsBefore = s.walSegments().length;
    const snap = await s.createSnapshot(50, { voters: ['a'], learners: [] }, Buffer.from('state@50'), 5);
    expect(snap.meta).toEqual({ index: 50, term: 1, conf: { voters: ['a'], learners: [] } });
    expect(s.firstIndex()).toBe(46);
    expect(s.walSegments().length).toBeLessThan(segsBefore);
    await s.saveReady({ term: 2, vote: 'a', commit: 61 }, [ent(61, 2)]);
    await s.close();
    const r = await DurableStorage.open(dir, { segmentBytes: 300 });
    expect(Buffer.from(r.snapshot()!.data).toString()).toBe('state@50');
    expect(r.firstIndex()).toBe(51);
    expect(r.lastIndex()).toBe(61);
    expect(r.term(50)).toBe(1);
    expect(r.entries(51, 62).map((e) => e.index)).toEqual(Array.from({ length: 11 }, (_, i) => 51 + i));
    expect(r.initialState().hardState).toEqual({ term: 2, vote: 'a', commit: 61 });
    await r.close();
  });

  it('a snapshot received from the leader replaces the log, durably', async () => {
    const s = await DurableStorage.open(dir, { bootstrap: ['a', 'b'] });
    await s.saveReady({ term: 1, vote: null, commit: 1 }, [ent(2, 1), ent(3, 1)]);
    const snap = {
      meta: { index: 100, term: 5, conf: { voters: ['a', 'b'], learners: ['c'] } },
      data: Buffer.from('leader'),
    };
    await s.saveReady({ term: 5, vote: null, commit: 100 }, [], snap);
    await s.close();
    const r = await DurableStorage.open(dir);
    expect([r.firstIndex(), r.lastIndex(), r.term(100)]).toEqual([101, 100, 5]);
    expect(r.initialState().conf).toEqual({ voters: ['a', 'b'], learners: ['c'] });
    await r.close();
  });

  it('a damaged snapshot file refuses to start', async () => {
    const s = await DurableStorage.open(dir, { bootstrap: ['a'] });
    await s.saveReady(undefined, [ent(2, 1)]);
    await s.createSnapshot(2, { voters: ['a'], learners: [] }, Buffer.from('precious state'));
    await s.close();
    const snapDir = path.join(dir, 'snap');
    const [file] = (await fsp.readdir(snapDir)).filter((n) => n.endsWith('.snap'));
    if (!file) throw new Error(`no snapshot file in ${snapDir}`);
    const buf = await fsp.readFile(path.join(snapDir, file));
    buf.writeUInt8(buf.readUInt8(buf.length - 3) ^ 1, buf.length - 3);
    await fsp.writeFile(path.join(snapDir, file), buf);
    await expect(DurableStorage.open(dir)).rejects.toBeInstanceOf(SnapshotCorruptError);
  });
});
