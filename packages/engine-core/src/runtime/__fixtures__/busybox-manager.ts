// A container manager over a busybox rootfs and its own volume store, for the runtime's tests.
import { join } from 'node:path';
import type { DataPaths } from '../../paths';
import { VolumeStore } from '../../volumes/volume-store';
import { ContainerManager } from '../container-manager';
import { busyboxImages } from './busybox-images';

/** `base` holds the resolv.conf the containers get; `rootfs` is the busybox image's root. */
export async function busyboxManager(
  p: DataPaths,
  rootfs: string,
  base: string,
): Promise<{ m: ContainerManager; volumes: VolumeStore }> {
  const volumes = new VolumeStore(p.volumes);
  await volumes.init();
  const m = new ContainerManager({
    paths: p,
    images: busyboxImages(rootfs, { Volumes: undefined }),
    volumes,
    resolvConfPath: join(base, 'resolv.conf'),
  });
  await m.init();
  return { m, volumes };
}
