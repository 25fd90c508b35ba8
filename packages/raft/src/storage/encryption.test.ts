// Encryption at rest of the WAL and snapshot files: the RecordCipher contract, sealed round trips,
// torn-tail repair over sealed records, tamper and wrong-key refusal, and the migration of a
// plaintext data directory (written with no cipher) when it is opened with one.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EntryType, type Entry } from '../types';
import { checkRecordCipher } from './cipher';
import { DurableStorage } from './durable-storage';
import { WalCorruptError, WalDecryptError } from './errors';
import { AesGcmCipher } from './aes-gcm-cipher';
import { Wal } from './wal';

const MARKER = 'MARKER-secret-value-4242';
const ent = (index: number, term: number, text = `${MARKER}-${index}`): Entry => ({
  index,
  term,
  type: EntryType.Normal,
  data: new Uint8Array(Buffer.from(text)),
});

let dir: string;
beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'flotilla-crypt-'));
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

/** Every file under `root` (recursively) that holds `text`. */
async function filesHolding(root: string, text: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fsp.readdir(root, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const full = path.join(e.parentPath, e.name);
    if ((await fsp.readFile(full)).includes(text)) out.push(full);
  }
  return out;
}

async function walFile(): Promise<string> {
  const names = (await fsp.readdir(path.join(dir, 'wal'))).filter((n) => n.endsWith('.wal')).sort();
  return path.join(dir, 'wal', names.at(-1)!);
}

describe('RecordCipher contract', () => {
  it('the test AEAD passes it: round trip, fresh nonce per seal, tamper, place and key refused', () => {
    expect(checkRecordCipher(new AesGcmCipher(), new AesGcmCipher())).toEqual([]);
  });

  it('catches a cipher that reuses nonces and one that ignores the associated data', () => {
    const real = new AesGcmCipher();
    const fixed = { seal: (p: Buffer) => Buffer.concat([Buffer.from('box'), p]), open: (b: Buffer) => b.subarray(3) };
    const bad = checkRecordCipher(fixed, real);
    expect(bad.join('\n')).toMatch(/nonce reused/);
    expect(bad.join('\n')).toMatch(/holds the plaintext/);
    expect(bad.join('\n')).toMatch(/another place/);
  });
});

describe('encrypted WAL and snapshots', () => {
  it('round trip: entries, hard state and snapshot come back; no file holds the plaintext', async () => {
    const cipher = new AesGcmCipher();
    const s = await DurableStorage.open(dir, { bootstrap: ['a'], cipher });
    await s.saveReady({ term: 2, vote: 'a', commit: 3 }, [ent(2, 2), ent(3, 2), ent(4, 2)]);
    await s.createSnapshot(3, { voters: ['a'], learners: [] }, new Uint8Array(Buffer.from(`${MARKER}-state`)));
    await s.saveReady(undefined, [ent(5, 2)]);
    await s.close();
    expect(await filesHolding(dir, MARKER)).toEqual([]);
    const r = await DurableStorage.open(dir, { cipher });
    expect(Buffer.from(r.snapshot()!.data).toString()).toBe(`${MARKER}-state`);
    expect(r.entries(4, 6)).toEqual([ent(4, 2), ent(5, 2)]);
    expect(r.hardState()).toEqual({ term: 2, vote: 'a', commit: 3 });
    await r.close();
  });

  it('a torn sealed tail is still repaired at every byte offset (the CRC covers the box)', async () => {
    const cipher = new AesGcmCipher();
    const { wal } = await Wal.open(dir, { cipher });
    await wal.save({ term: 3, vote: null, commit: 1 }, [ent(1, 3), ent(2, 3)]);
    await wal.close();
    const file = (await fsp.readdir(dir)).find((n) => n.endsWith('.wal'))!;
    const good = await fsp.readFile(path.join(dir, file));
    const { wal: w1 } = await Wal.open(dir, { cipher });
    await w1.save(undefined, [ent(3, 3)]);
    await w1.close();
    const full = await fsp.readFile(path.join(dir, file));
    for (let cut = good.length; cut < full.length; cut += 3) {
      await fsp.writeFile(path.join(dir, file), full.subarray(0, cut));
      const { wal: w, replay } = await Wal.open(dir, { cipher });
      expect(replay.entries).toEqual([ent(1, 3), ent(2, 3)]);
      await w.close();
    }
  });

  it('refuses a WAL sealed with another key, or opened with none, saying what is wrong', async () => {
    const s = await DurableStorage.open(dir, { bootstrap: ['a'], cipher: new AesGcmCipher() });
    await s.saveReady({ term: 2, vote: 'a', commit: 1 }, [ent(2, 2)]);
    await s.close();
    await expect(DurableStorage.open(dir, { cipher: new AesGcmCipher() })).rejects.toThrow(
      /does not decrypt with this data key/,
    );
    await expect(DurableStorage.open(dir)).rejects.toThrow(WalDecryptError);
  });

  it('a bit flipped inside a sealed record (CRC fixed up) is refused, not replayed', async () => {
    const cipher = new AesGcmCipher();
    const { wal } = await Wal.open(path.join(dir, 'wal'), { cipher });
    await wal.save({ term: 1, vote: null, commit: 0 }, [ent(1, 1), ent(2, 1)]);
    await wal.close();
    const file = await walFile();
    const buf = await fsp.readFile(file);
    // The first record: flip a byte of its box and recompute both checksums, as an attacker would.
    const { crc32 } = await import('node:zlib');
    const len = buf.readUInt32LE(0);
    buf[12 + 20] = buf[12 + 20]! ^ 0x40;
    buf.writeUInt32LE(crc32(buf.subarray(12, 12 + len)), 8);
    await fsp.writeFile(file, buf);
    await expect(Wal.open(path.join(dir, 'wal'), { cipher })).rejects.toThrow(WalDecryptError);
  });

  it('a record moved to another offset does not open there (the place is the associated data)', async () => {
    const cipher = new AesGcmCipher();
    const { wal } = await Wal.open(dir, { cipher });
    await wal.save(undefined, [ent(1, 1, 'aaaa')]);
    await wal.save(undefined, [ent(2, 1, 'bbbb')]);
    await wal.close();
    const file = (await fsp.readdir(dir)).find((n) => n.endsWith('.wal'))!;
    const buf = await fsp.readFile(path.join(dir, file));
    // Swap in a copy of the last record before it (both intact, CRCs valid): replay must refuse.
    const recs: Buffer[] = [];
    for (let off = 0; off < buf.length;) {
      const n = 12 + buf.readUInt32LE(off);
      recs.push(buf.subarray(off, off + n));
      off += n;
    }
    const swapped = Buffer.concat([...recs.slice(0, -2), recs.at(-1)!, recs.at(-2)!]);
    await fsp.writeFile(path.join(dir, file), swapped);
    await expect(Wal.open(dir, { cipher })).rejects.toThrow(WalDecryptError);
  });
});

describe('migration of a plaintext data directory', () => {
  it('opened with a cipher: every WAL segment and the snapshot are rewritten sealed, state unchanged', async () => {
    const s = await DurableStorage.open(dir, { bootstrap: ['a'], segmentBytes: 300 });
    for (let i = 2; i <= 12; i++) await s.saveReady({ term: 2, vote: 'a', commit: i - 1 }, [ent(i, 2)]);
    await s.createSnapshot(6, { voters: ['a'], learners: [] }, new Uint8Array(Buffer.from(`${MARKER}-state`)), 2);
    await s.close();
    expect((await filesHolding(dir, MARKER)).length).toBeGreaterThan(1);

    const cipher = new AesGcmCipher();
    const r = await DurableStorage.open(dir, { cipher, segmentBytes: 300 });
    expect(r.walSegments().length).toBeGreaterThan(1);
    expect(await filesHolding(dir, MARKER)).toEqual([]);
    expect(r.entries(7, 13)).toEqual([7, 8, 9, 10, 11, 12].map((i) => ent(i, 2)));
    await r.saveReady({ term: 2, vote: 'a', commit: 12 }, [ent(13, 2)]);
    await r.close();

    // Sealed for good: it opens with the key, and no longer without it.
    const again = await DurableStorage.open(dir, { cipher });
    expect(Buffer.from(again.snapshot()!.data).toString()).toBe(`${MARKER}-state`);
    expect(again.lastIndex()).toBe(13);
    expect(again.hardState()).toEqual({ term: 2, vote: 'a', commit: 12 });
    await again.close();
    await expect(DurableStorage.open(dir)).rejects.toThrow(WalDecryptError);
    expect(await fsp.readdir(path.join(dir, 'wal'))).not.toContainEqual(expect.stringMatching(/tmp$/));
  });

  it('a sealing cut short by a crash (a temp file left beside the plaintext segment) is redone', async () => {
    const { wal } = await Wal.open(dir);
    await wal.save({ term: 1, vote: null, commit: 1 }, [ent(1, 1)]);
    await wal.close();
    const file = (await fsp.readdir(dir)).find((n) => n.endsWith('.wal'))!;
    await fsp.writeFile(path.join(dir, `${file}.seal.tmp`), Buffer.from(`half written ${MARKER}`));
    const cipher = new AesGcmCipher();
    const { wal: w, replay } = await Wal.open(dir, { cipher });
    await w.close();
    expect(replay.entries).toEqual([ent(1, 1)]);
    expect(await filesHolding(dir, MARKER)).toEqual([]);
    expect(await fsp.readdir(dir)).toEqual([file]);
  });

  it('corruption in a plaintext segment is still reported as corruption, not migrated', async () => {
    const { wal } = await Wal.open(dir, { segmentBytes: 100 });
    for (let i = 1; i <= 6; i++) await wal.save(undefined, [ent(i, 1)]);
    await wal.close();
    const first = path.join(dir, (await fsp.readdir(dir)).sort()[0]!);
    const buf = await fsp.readFile(first);
    buf[buf.length - 3] = buf[buf.length - 3]! ^ 0xff;
    await fsp.writeFile(first, buf);
    await expect(Wal.open(dir, { cipher: new AesGcmCipher() })).rejects.toThrow(WalCorruptError);
  });
});
