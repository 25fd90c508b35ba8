// The layer cache of one step: its key (parent image + instruction + inputs), a hit that takes the
// cached config when its layers still exist, and the commit that makes a new image config.
import { sha256 } from '../images/digest';
import type { LayerMeta } from '../images/layer-store';
import type { ImageConfig } from '../images/oci';
import type { ContainerConfigSpec } from '../images/types';
import type { BuildCache } from './cache';
import type { Stage, StepCache, StepEnv } from './stage';

/** `cfg` is the step's working copy of the stage's container config, committed by default. */
export function stepCache(cache: BuildCache, stage: Stage, cfg: ContainerConfigSpec, env: StepEnv): StepCache {
  const store = env.store;
  const parentKey = stage.id ?? 'scratch';
  return {
    keyOf: (...parts) => sha256(JSON.stringify([parentKey, ...parts])),
    async tryCache(key) {
      if (env.noCache) return false;
      const digest = cache.get(key);
      if (!digest || !(await store.blobs.has(digest))) return false;
      const c = await store.config(digest);
      for (const d of c.rootfs.diff_ids) if (!(await store.layers.has(d))) return false;
      stage.config = structuredClone(c);
      stage.id = digest;
      env.progress(' ---> Using cache\n');
      return true;
    },
    async commit(key: string, createdBy: string, layer?: LayerMeta, newCfg: ContainerConfigSpec = cfg) {
      const next: ImageConfig = {
        ...structuredClone(stage.config),
        created: new Date().toISOString(),
        config: newCfg,
        parent: stage.id,
      };
      if (!next.parent) delete next.parent;
      next.rootfs = { type: 'layers', diff_ids: [...stage.config.rootfs.diff_ids, ...(layer ? [layer.diffId] : [])] };
      next.history = [
        ...(stage.config.history ?? []),
        { created: next.created, created_by: createdBy, ...(layer ? {} : { empty_layer: true }) },
      ];
      const { digest } = await store.blobs.putBuffer(Buffer.from(JSON.stringify(next)));
      cache.set(key, digest);
      stage.config = next;
      stage.id = digest;
    },
  };
}
