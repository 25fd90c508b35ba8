// A read-only merged view of an image's layers, for COPY --from: one layer is used as it is,
// several are stacked with a lowerdir-only (hence read-only) overlay mount.
import { mkdir, rmdir } from 'node:fs/promises';
import { runTool } from '../util/command';

export interface MergedView {
  dir: string;
  release(): Promise<void>;
}

export async function mergedView(layerDirs: string[], mountpoint: string): Promise<MergedView> {
  const [only, ...more] = layerDirs;
  if (only !== undefined && more.length === 0) return { dir: only, release: async () => undefined };
  await mkdir(mountpoint, { recursive: true });
  if (layerDirs.length === 0) return { dir: mountpoint, release: () => rmdir(mountpoint) };
  const lower = [...layerDirs].reverse().join(':');
  await runTool('mount', ['-t', 'overlay', 'overlay', '-o', `ro,lowerdir=${lower}`, mountpoint], {
    aptPackage: 'mount',
  });
  return {
    dir: mountpoint,
    release: async () => {
      await runTool('umount', [mountpoint]);
      await rmdir(mountpoint);
    },
  };
}
