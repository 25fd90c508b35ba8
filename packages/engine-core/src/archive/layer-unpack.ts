// Unpack a layer blob (plain or gzip tar) into a directory that overlayfs can use as a lower layer:
// OCI whiteouts become overlay whiteouts (`.wh.x` -> char device 0/0 `x`, `.wh..wh..opq` ->
// trusted.overlay.opaque=y). Node has neither mknod nor setxattr, so both are applied in one pass
// of GNU tar over a small generated tar.
import { createReadStream } from 'node:fs';
import { lstat, open, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { InvalidArgumentError } from '../errors';
import { runTool } from '../util/command';
import { DigestStream, digestOf } from '../util/digest-stream';
import { TarWriter } from './tar-writer';

export type Compression = 'gzip' | 'zstd' | 'none';

export async function detectCompression(path: string): Promise<Compression> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(4);
    await fh.read(b, 0, 4, 0);
    if (b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
    if (b.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
    return 'none';
  } finally {
    await fh.close();
  }
}

/** A stream of the uncompressed tar bytes of a layer blob. */
export async function openUncompressed(path: string): Promise<NodeJS.ReadableStream> {
  const c = await detectCompression(path);
  if (c === 'zstd')
    throw new InvalidArgumentError(`layer ${path} is zstd-compressed, which flotilla does not support yet`);
  const raw = createReadStream(path);
  return c === 'gzip' ? raw.pipe(createGunzip()) : raw;
}

/** sha256 digest and size of the uncompressed tar of a blob: its diff ID. */
export async function diffIdOf(path: string): Promise<{ diffId: string; size: number }> {
  const { digest, size } = await digestOf(await openUncompressed(path));
  return { diffId: digest, size };
}

const TAR_FLAGS = [
  '--numeric-owner',
  '--same-owner',
  '-p',
  '--xattrs',
  '--xattrs-include=security.capability',
  '--xattrs-include=user.*',
];

/**
 * Extract a layer blob into `dest` (which must exist) and convert whiteouts. Returns the diff ID
 * (sha256 of the uncompressed tar) and uncompressed size, so callers can verify the config's rootfs.
 */
export async function unpackLayer(
  blobPath: string,
  dest: string,
  opts: { whiteouts?: boolean; signal?: AbortSignal } = {},
): Promise<{ diffId: string; size: number }> {
  const tee = new DigestStream();
  const src = await openUncompressed(blobPath);
  src.on('error', (e) => tee.destroy(e as Error));
  src.pipe(tee);
  const [{ stdout }] = await Promise.all([
    runTool('tar', ['-x', '-v', '--quoting-style=literal', ...TAR_FLAGS, '-C', dest, '-f', '-'], {
      input: tee,
      signal: opts.signal,
    }),
    finished(tee),
  ]);
  if (opts.whiteouts !== false) {
    const names = stdout
      .toString('utf8')
      .split('\n')
      .filter((n) => n.includes('.wh.'));
    await applyWhiteouts(dest, names);
  }
  return { diffId: tee.digest(), size: tee.size };
}

async function applyWhiteouts(dest: string, names: string[]): Promise<void> {
  if (names.length === 0) return;
  const gen = new PassThrough();
  const tw = new TarWriter(gen);
  const chunks: Buffer[] = [];
  gen.on('data', (c: Buffer) => chunks.push(c));
  for (const raw of names) {
    const rel = raw.replace(/^\.?\/+/, '').replace(/\/$/, '');
    const slash = rel.lastIndexOf('/');
    const dir = slash < 0 ? '' : rel.slice(0, slash);
    const base = rel.slice(slash + 1);
    if (!base.startsWith('.wh.')) continue;
    await rm(join(dest, rel), { force: true });
    if (base === '.wh..wh..opq') {
      const st = await lstat(dir ? join(dest, dir) : dest);
      await tw.add({
        name: dir || '.',
        type: 'dir',
        mode: st.mode & 0o7777,
        uid: st.uid,
        gid: st.gid,
        mtime: Math.floor(st.mtimeMs / 1000),
        xattrs: { 'trusted.overlay.opaque': 'y' },
      });
    } else {
      const target = join(dest, dir, base.slice(4));
      if (dirname(target) !== join(dest, dir)) continue;
      await rm(target, { recursive: true, force: true });
      await tw.add({
        name: dir ? `${dir}/${base.slice(4)}` : base.slice(4),
        type: 'char',
        mode: 0,
        devmajor: 0,
        devminor: 0,
      });
    }
  }
  await tw.finish();
  await runTool(
    'tar',
    ['-x', '--numeric-owner', '-p', '--xattrs', '--xattrs-include=trusted.overlay.opaque', '-C', dest, '-f', '-'],
    { input: Buffer.concat(chunks) },
  );
}
