// Test double of the image store: one image, "busybox", whose single layer is a busybox rootfs.
import { NotFoundError } from '../../errors';
import type { ImageProvider, ImageRecord } from '../../images/types';

export function busyboxImages(rootfs: string, extra: Partial<ImageRecord['config']> = {}): ImageProvider {
  const image: ImageRecord = {
    id: 'sha256:' + 'b'.repeat(64),
    repoTags: ['busybox:latest'],
    repoDigests: [],
    created: new Date(0).toISOString(),
    size: 0,
    architecture: 'amd64',
    os: 'linux',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'], ...extra },
    diffIds: ['sha256:' + 'c'.repeat(64)],
  };
  return {
    async resolve(ref) {
      if (ref === 'busybox' || ref === 'busybox:latest' || ref === image.id) return image;
      throw new NotFoundError(`No such image: ${ref}`);
    },
    async layerDirs() {
      return [rootfs];
    },
  };
}
