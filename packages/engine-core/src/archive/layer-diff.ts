// Turn a directory (an overlay upper dir after RUN, or a COPY staging dir) into a layer tar.
// Overlay whiteouts become OCI whiteouts on the way: a 0/0 char device `x` -> empty file `.wh.x`,
// an opaque directory -> an extra `.wh..wh..opq` entry inside it.
import type { Stats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { runTool } from '../util/command';
import { readTarHeaders } from './tar-reader';
import { TarWriter } from './tar-writer';

const OPAQUE_XATTR = 'trusted.overlay.opaque';

function devParts(rdev: number): { major: number; minor: number } {
  return { major: Math.floor(rdev / 256) & 0xfff, minor: (rdev & 0xff) | ((Math.floor(rdev / 4096) & 0xfff00) >>> 0) };
}

/** Which of `dirs` (relative to `root`) carry the overlay opaque xattr; read through GNU tar. */
export async function opaqueDirs(root: string, dirs: string[]): Promise<Set<string>> {
  if (dirs.length === 0) return new Set();
  const { stdout } = await runTool(
    'tar',
    ['--xattrs', `--xattrs-include=${OPAQUE_XATTR}`, '--no-recursion', '--null', '-C', root, '-cf', '-', '-T', '-'],
    { input: Buffer.from(dirs.map((d) => `./${d}\0`).join('')) },
  );
  const found = new Set<string>();
  for (const h of readTarHeaders(stdout)) {
    if (h.xattrs[OPAQUE_XATTR] === 'y') found.add(h.name.replace(/^\.\//, '').replace(/\/$/, ''));
  }
  return found;
}

interface Walked {
  rel: string;
  abs: string;
  st: Stats;
}

async function walk(root: string): Promise<Walked[]> {
  const out: Walked[] = [];
  const visit = async (rel: string): Promise<void> => {
    const names = (await readdir(join(root, rel))).sort();
    for (const n of names) {
      const r = rel ? `${rel}/${n}` : n;
      const abs = join(root, r);
      const st = await lstat(abs);
      out.push({ rel: r, abs, st });
      if (st.isDirectory()) await visit(r);
    }
  };
  await visit('');
  return out;
}

/**
 * Write `dir` as a layer tar to `out`. `overlayUpper` turns on whiteout conversion (only overlay
 * upper dirs hold 0/0 devices and opaque xattrs; a COPY staging dir may hold real device files).
 */
export async function writeLayerTar(dir: string, out: Writable, opts: { overlayUpper?: boolean } = {}): Promise<void> {
  const entries = await walk(dir);
  const opaque = opts.overlayUpper
    ? await opaqueDirs(
        dir,
        entries.filter((e) => e.st.isDirectory()).map((e) => e.rel),
      )
    : new Set<string>();
  const tw = new TarWriter(out);
  const seen = new Map<string, string>();
  for (const { rel, abs, st } of entries) {
    const base = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) };
    if (st.isDirectory()) {
      await tw.add({ ...base, name: rel, type: 'dir' });
      if (opaque.has(rel)) await tw.add({ ...base, mode: 0o644, name: `${rel}/.wh..wh..opq`, type: 'file', size: 0 });
    } else if (st.isCharacterDevice() && opts.overlayUpper && st.rdev === 0) {
      const slash = rel.lastIndexOf('/');
      const wh = slash < 0 ? `.wh.${rel}` : `${rel.slice(0, slash)}/.wh.${rel.slice(slash + 1)}`;
      await tw.add({ ...base, mode: 0o644, name: wh, type: 'file', size: 0 });
    } else if (st.isSymbolicLink()) {
      await tw.add({ ...base, name: rel, type: 'symlink', linkname: await readlink(abs) });
    } else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? seen.get(key) : undefined;
      if (first) {
        await tw.add({ ...base, name: rel, type: 'hardlink', linkname: first });
      } else {
        if (st.nlink > 1) seen.set(key, rel);
        await tw.add({ ...base, name: rel, type: 'file', size: Number(st.size) }, { sourcePath: abs });
      }
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      const { major, minor } = devParts(Number(st.rdev));
      await tw.add({
        ...base,
        name: rel,
        type: st.isCharacterDevice() ? 'char' : 'block',
        devmajor: major,
        devminor: minor,
      });
    } else if (st.isFIFO()) {
      await tw.add({ ...base, name: rel, type: 'fifo' });
    }
    // sockets are not archived, like docker
  }
  await tw.finish();
}
