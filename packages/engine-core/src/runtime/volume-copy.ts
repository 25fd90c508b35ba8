// Docker's volume copy-up: the first time an empty volume is mounted over a directory that has
// content in the image, that content is copied into the volume (unless the mount says "nocopy").
import { execFile } from 'node:child_process';
import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

async function isDir(p: string): Promise<boolean> {
  return (await lstat(p).catch(() => null))?.isDirectory() ?? false;
}

/** Copy `dest` as the layers (bottom first) show it into `volumeDir`, if the volume is empty. */
export async function copyImageContentIntoVolume(
  layerDirs: string[],
  dest: string,
  volumeDir: string,
): Promise<boolean> {
  if ((await readdir(volumeDir).catch(() => ['?'])).length) return false;
  const sources: string[] = [];
  for (const l of layerDirs) if (await isDir(join(l, dest))) sources.push(join(l, dest));
  if (!sources.length) return false;
  // Bottom layer first, so upper layers overwrite; whiteouts are removed afterwards.
  for (const src of sources) await execFileP('cp', ['-a', '--', `${src}/.`, volumeDir]);
  await removeWhiteouts(volumeDir);
  return true;
}

async function removeWhiteouts(dir: string): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.name.startsWith('.wh.')) {
      await rm(p, { recursive: true, force: true });
      if (e.name !== '.wh..wh..opq') await rm(join(dir, e.name.slice(4)), { recursive: true, force: true });
      continue;
    }
    if (e.isCharacterDevice() && (await lstat(p)).rdev === 0) await rm(p, { force: true });
    else if (e.isDirectory()) await removeWhiteouts(p);
  }
}
