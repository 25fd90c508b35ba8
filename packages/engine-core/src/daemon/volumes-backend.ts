// Adapts the volume store to the API's VolumeBackend.
import type { VolumeBackend, VolumeRecord } from '../api/backend';
import type { VolumeStore } from '../volumes/volume-store';

export function volumeBackend(store: VolumeStore): VolumeBackend {
  return {
    async list() {
      return store.list().Volumes as unknown as VolumeRecord[];
    },
    async create(opts) {
      return (await store.create(opts)) as unknown as VolumeRecord;
    },
    async inspect(name) {
      return store.get(name) as unknown as VolumeRecord;
    },
    async remove(name, { force }) {
      await store.remove(name, { force });
    },
    prune: ({ all }) => store.prune({ all }),
  };
}
