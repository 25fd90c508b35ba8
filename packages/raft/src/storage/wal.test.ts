// Durability of the WAL (Raft §5.2/§5.3 assume persistent state survives a crash: currentTerm,
// votedFor and log[] are written to stable storage before responding to RPCs).
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EntryType, type Entry } from '../types';
import { Wal } from './wal';
import { WalCorruptError } from './errors';

function ent(index: number, term: number, text = `e${index}`): Entry {
  return { index, term, type: EntryType.Normal, data: new TextEncoder().encode(text) };
}

let dir: string;
beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'flotilla-wal-'));
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

async function lastSegment(): Promise<string> {
  const last = (await fsp.readdir(dir))
    .filter((n) => n.endsWith('.wal'))
    .sort()
    .at(-1);
  if (!last) throw new Error(`no WAL segment in ${dir}`);
  return path.join(dir, last);
}

describe('Wal', () => {
  it('restart recovers hard state and entries exactly, including a truncated conflicting suffix', async () => {
    const { wal } = await Wal.open(dir);
    await wal.save({ term: 1, vote: 'a', commit: 0 }, [ent(1, 1), ent(2, 1), ent(3, 1)]);
    await wal.save({ term: 2, vote: 'b', commit: 1 }, [ent(2, 2, 'x'), ent(3, 2, 'y')]);
    await wal.save(undefined, [ent(4, 2)]);
    await wal.close();
    const { wal: w2, replay } = await Wal.open(dir);
    expect(replay.hardState).toEqual({ term: 2, vote: 'b', commit: 1 });
    expect(replay.firstIndex).toBe(1);
    expect(replay.entries).toEqual([ent(1, 1), ent(2, 2, 'x'), ent(3, 2, 'y'), ent(4, 2)]);
    await w2.close();
  });

  it('a torn last record is truncated at every byte offset; earlier (acknowledged) records survive', async () => {
    const { wal } = await Wal.open(dir);
    await wal.save({ term: 3, vote: null, commit: 1 }, [ent(1, 3), ent(2, 3)]);
    await wal.close();
    const file = await lastSegment();
    const good = await fsp.readFile(file);
    const { wal: w1 } = await Wal.open(dir);
    await w1.save(undefined, [ent(3, 3, 'the-torn-one')]);
    await w1.close();
    const full = await fsp.readFile(file);
    expect(full.length).toBeGreaterThan(good.length);
    for (let cut = good.length; cut < full.length; cut++) {
      await fsp.writeFile(file, full.subarray(0, cut));
      const { wal: w, replay } = await Wal.open(dir);
      expect(replay.entries).toEqual([ent(1, 3), ent(2, 3)]);
      expect(replay.hardState).toEqual({ term: 3, vote: null, commit: 1 });
      expect((await fsp.stat(file)).size).toBe(good.length);
      // The repaired log accepts new writes that replay cleanly.
      await w.save(undefined, [ent(3, 3, 'again')]);
      await w.close();
      const { wal: w3, replay: r3 } = await Wal.open(dir);
      expect(r3.entries.map((e) => e.index)).toEqual([1, 2, 3]);
      await w3.close();
    }
  });

  it('a torn tail whose bytes were zero-filled by the filesystem is also repaired', async () => {
    const { wal } = await Wal.open(dir);
    await wal.save({ term: 1, vote: null, commit: 0 }, [ent(1, 1)]);
    await wal.close();
    const file = await lastSegment();
    const good = await fsp.readFile(file);
    await fsp.writeFile(file, Buffer.concat([good, Buffer.alloc(100)]));
    const { wal: w, replay } = await Wal.open(dir);
    expect(replay.entries).toEqual([ent(1, 1)]);
    await w.close();
  });

  it('a bit flip before the tail refuses to start with WalCorruptError naming the file and offset', async () => {
    const { wal } = await Wal.open(dir);
    for (let i = 1; i <= 10; i++) await wal.save({ term: 1, vote: null, commit: i - 1 }, [ent(i, 1, 'x'.repeat(50))]);
    await wal.close();
    const file = await lastSegment();
    const buf = await fsp.readFile(file);
    for (const at of [Math.floor(buf.length / 2), 2 /* a length field */, 100]) {
      const bad = Buffer.from(buf);
      bad.writeUInt8(bad.readUInt8(at) ^ 0x10, at);
      await fsp.writeFile(file, bad);
      const err = await Wal.open(dir).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WalCorruptError);
      const c = err as WalCorruptError;
      expect(c.file).toBe(file);
      expect(c.offset).toBeLessThanOrEqual(at);
      expect(c.message).toContain(file);
      expect(c.message).toContain(`offset ${c.offset}`);
      // Refusing must not have modified the file.
      expect(await fsp.readFile(file)).toEqual(bad);
    }
  });

  it('segments roll over; releaseTo drops covered segments; restart after a snapshot marker', async () => {
    const { wal } = await Wal.open(dir, { segmentBytes: 400 });
    for (let i = 1; i <= 40; i++) await wal.save({ term: 1, vote: 'a', commit: i }, [ent(i, 1, 'p'.repeat(20))]);
    const before = wal.segmentFiles().length;
    expect(before).toBeGreaterThan(3);
    await wal.saveSnapshot({ index: 30, term: 1 }, false);
    await wal.releaseTo(30);
    expect(wal.segmentFiles().length).toBeLessThan(before);
    expect((await fsp.readdir(dir)).filter((n) => n.endsWith('.wal'))).toEqual(wal.segmentFiles());
    await wal.save(undefined, [ent(41, 2)]);
    await wal.close();
    const { wal: w2, replay } = await Wal.open(dir, { segmentBytes: 400 });
    expect(replay.snapshot).toEqual({ index: 30, term: 1 });
    expect(replay.hardState).toEqual({ term: 1, vote: 'a', commit: 40 });
    // Every entry after the snapshot is still there, contiguous.
    const after = replay.entries.filter((e) => e.index > 30).map((e) => e.index);
    expect(after).toEqual([31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41]);
    expect(replay.entries[0]?.index).toBe(replay.firstIndex);
    expect(replay.firstIndex).toBeLessThanOrEqual(31);
    await w2.close();
  });

  it('a received snapshot (reset) discards the whole earlier log on replay', async () => {
    const { wal } = await Wal.open(dir);
    await wal.save({ term: 1, vote: null, commit: 2 }, [ent(1, 1), ent(2, 1), ent(3, 1)]);
    await wal.saveSnapshot({ index: 10, term: 4 }, true);
    await wal.save({ term: 4, vote: null, commit: 10 }, [ent(11, 4)]);
    await wal.close();
    const { wal: w2, replay } = await Wal.open(dir);
    expect(replay.snapshot).toEqual({ index: 10, term: 4 });
    expect(replay.firstIndex).toBe(11);
    expect(replay.entries).toEqual([ent(11, 4)]);
    await w2.close();
  });
});
