import { execFileSync } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { writeLayerTar } from './layer-diff';
import { unpackLayer } from './layer-unpack';
import { readTarHeaders } from './tar-reader';
import { TarWriter } from './tar-writer';

async function tarBuffer(entries: Parameters<TarWriter['add']>[0][]): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const tw = new TarWriter(out);
  for (const e of entries)
    await tw.add(
      e,
      e.type === 'file' ? { data: Buffer.from(e.name.endsWith('.txt') ? `content of ${e.name}` : '') } : undefined,
    );
  await tw.finish();
  return Buffer.concat(chunks);
}

describe('layers and overlay whiteouts', () => {
  let root: string;
  const mounts: string[] = [];
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'flotilla-layers-'));
  });
  afterAll(() => {
    for (const m of mounts) execFileSync('umount', [m]);
    rmSync(root, { recursive: true, force: true });
  });

  it('unpacks layers so that overlayfs honours .wh. files and opaque dirs, and diffs them back', async () => {
    const l1 = await tarBuffer([
      { name: 'etc', type: 'dir', mode: 0o755 },
      { name: 'etc/a.txt', type: 'file', mode: 0o644 },
      { name: 'etc/b.txt', type: 'file', mode: 0o644 },
      { name: 'opq', type: 'dir', mode: 0o755 },
      { name: 'opq/old.txt', type: 'file', mode: 0o644 },
    ]);
    const l2 = await tarBuffer([
      { name: 'etc', type: 'dir', mode: 0o755 },
      { name: 'etc/.wh.a.txt', type: 'file', mode: 0o644 },
      { name: 'opq', type: 'dir', mode: 0o755 },
      { name: 'opq/.wh..wh..opq', type: 'file', mode: 0o644 },
      { name: 'opq/new.txt', type: 'file', mode: 0o644 },
    ]);
    writeFileSync(join(root, 'l1.tar'), l1);
    writeFileSync(join(root, 'l2.tar.gz'), gzipSync(l2));
    const d1 = join(root, 'd1');
    const d2 = join(root, 'd2');
    mkdirSync(d1);
    mkdirSync(d2);
    const r1 = await unpackLayer(join(root, 'l1.tar'), d1);
    const r2 = await unpackLayer(join(root, 'l2.tar.gz'), d2);
    expect(r1.size).toBe(l1.length);
    expect(r2.size).toBe(l2.length); // gzip is undone before hashing: the diff ID is of the plain tar
    const wh = lstatSync(join(d2, 'etc/a.txt'));
    expect(wh.isCharacterDevice() && wh.rdev === 0).toBe(true);
    expect(existsSync(join(d2, 'etc/.wh.a.txt'))).toBe(false);
    expect(existsSync(join(d2, 'opq/.wh..wh..opq'))).toBe(false);

    const merged = join(root, 'merged');
    const upper = join(root, 'upper');
    const work = join(root, 'work');
    for (const d of [merged, upper, work]) mkdirSync(d);
    execFileSync('mount', [
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=${d2}:${d1},upperdir=${upper},workdir=${work}`,
      merged,
    ]);
    mounts.push(merged);
    expect(readdirSync(join(merged, 'etc')).sort()).toEqual(['b.txt']);
    expect(readdirSync(join(merged, 'opq')).sort()).toEqual(['new.txt']);

    // changes made through the mount land in upper as overlay whiteouts; diff them back to OCI form
    rmSync(join(merged, 'etc/b.txt'));
    rmSync(join(merged, 'opq'), { recursive: true });
    mkdirSync(join(merged, 'opq'));
    writeFileSync(join(merged, 'opq/fresh.txt'), 'fresh');
    const out = join(root, 'diff.tar');
    const ws = createWriteStream(out);
    const closed = new Promise<void>((r) => ws.on('close', () => r()));
    await writeLayerTar(upper, ws, { overlayUpper: true });
    await closed;
    const names = readTarHeaders(readFileSync(out)).map((h) => h.name);
    expect(names).toEqual(
      expect.arrayContaining(['etc/', 'etc/.wh.b.txt', 'opq/', 'opq/.wh..wh..opq', 'opq/fresh.txt']),
    );
    // GNU tar agrees the archive is well formed
    expect(execFileSync('tar', ['-tf', out], { encoding: 'utf8' }).split('\n')).toEqual(
      expect.arrayContaining(['opq/fresh.txt']),
    );
  });
});
