// COPY/ADD into a staging directory that becomes the step's layer.
import { chmod, copyFile, lchown, lutimes, mkdir, open, readlink, symlink, utimes } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { runTool } from '../util/command';
import type { BuildContext, ContextSource } from './context';
import type { RootfsView } from './rootfs-view';

export interface Owner {
  uid: number;
  gid: number;
}

/** mkdir -p `rel` inside `staging`, giving new dirs the metadata they have in the image (or root 0755). */
export async function ensureDirs(staging: string, rel: string, view: RootfsView, owner?: Owner): Promise<void> {
  const parts = rel.split('/').filter(Boolean);
  let cur = '';
  for (let i = 0; i < parts.length; i++) {
    cur += `/${parts[i]}`;
    const target = join(staging, cur);
    try {
      await mkdir(target);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw e;
    }
    const existing = await view.stat(cur);
    if (existing?.st.isDirectory()) {
      await chmod(target, existing.st.mode & 0o7777);
      await lchown(target, existing.st.uid, existing.st.gid);
      await utimes(target, existing.st.atime, existing.st.mtime);
    } else {
      await chmod(target, 0o755);
      const last = i === parts.length - 1;
      if (last && owner) await lchown(target, owner.uid, owner.gid);
    }
  }
}

async function copyEntry(src: ContextSource, dest: string, owner: Owner): Promise<void> {
  const { st } = src;
  if (st.isDirectory()) {
    await mkdir(dest, { recursive: true });
    await chmod(dest, st.mode & 0o7777);
  } else if (st.isSymbolicLink()) {
    await mkdir(dirname(dest), { recursive: true });
    await symlink(await readlink(src.abs), dest);
  } else if (st.isFile()) {
    await mkdir(dirname(dest), { recursive: true });
    await copyFile(src.abs, dest);
    await chmod(dest, st.mode & 0o7777);
  } else {
    return; // sockets, fifos and devices in a context are not copied
  }
  await lchown(dest, owner.uid, owner.gid);
  if (st.isSymbolicLink()) await lutimes(dest, st.atime, st.mtime);
  else await utimes(dest, st.atime, st.mtime);
}

/**
 * Copy resolved sources to `destPath` (absolute in the image) inside `staging`. Docker's rules:
 * a directory source copies its contents; the destination is a directory when it ends in "/",
 * when there are several sources, or when it already is one in the image.
 */
export async function copySources(opts: {
  ctx: BuildContext;
  sources: ContextSource[];
  staging: string;
  destPath: string;
  destIsDir: boolean;
  view: RootfsView;
  owner: Owner;
  extractArchives?: boolean;
}): Promise<void> {
  const { ctx, sources, staging, destPath, view, owner } = opts;
  const destIsDir = opts.destIsDir || sources.length > 1 || (await view.stat(destPath))?.st.isDirectory() === true;
  for (const s of sources) {
    if (s.st.isDirectory()) {
      await ensureDirs(staging, destPath, view, owner);
      for (const e of await ctx.walk(s.rel)) {
        const rel = s.rel ? e.rel.slice(s.rel.length + 1) : e.rel;
        await copyEntry(e, join(staging, destPath, rel), owner);
      }
      continue;
    }
    if (opts.extractArchives && s.st.isFile() && (await isArchive(s.abs))) {
      await ensureDirs(staging, destPath, view, owner);
      await runTool('tar', ['-x', '--numeric-owner', '--same-owner', '-p', '-C', join(staging, destPath), '-f', s.abs]);
      continue;
    }
    const target = destIsDir || s.st.isDirectory() ? join(destPath, basename(s.abs)) : destPath;
    await ensureDirs(staging, dirname(target), view, destIsDir ? owner : undefined);
    await copyEntry(s, join(staging, target), owner);
  }
}

/** ADD extracts local tar archives (plain, gzip, bzip2 or xz), like docker. */
export async function isArchive(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(512);
    const { bytesRead } = await fh.read(b, 0, 512, 0);
    if (bytesRead >= 262 && b.toString('ascii', 257, 262) === 'ustar') return true;
    const compressed =
      (b[0] === 0x1f && b[1] === 0x8b) ||
      b.toString('ascii', 0, 3) === 'BZh' ||
      b.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]));
    return compressed && /\.(tar\.(gz|bz2|xz)|tgz|tbz2?|txz)$/i.test(path);
  } finally {
    await fh.close();
  }
}
