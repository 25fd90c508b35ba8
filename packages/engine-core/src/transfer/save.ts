// docker save: images -> one tar in the classic `docker save` layout that every docker loads:
//   <config-hex>.json, <layer-id>/{VERSION,json,layer.tar}, manifest.json, repositories.
import { createHash } from 'node:crypto';
import type { Writable } from 'node:stream';
import { NotFoundError } from '../errors';
import { digestHex } from '../images/digest';
import type { ImageStore } from '../images/image-store';
import { familiarRepository, parseReference, withDefaultTag } from '../images/reference';
import { openUncompressed } from '../archive/layer-unpack';
import { TarWriter } from '../archive/tar-writer';

export interface SaveManifestEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

/** Write `refs` (names or IDs) as a docker-save archive to `out` (which is ended when done). */
export async function saveImages(
  store: ImageStore,
  refs: string[],
  out: Writable,
  opts: { signal?: AbortSignal } = {},
): Promise<void> {
  // resolve everything first so a bad name fails before any byte is written
  const wanted = new Map<string, string[]>();
  for (const ref of refs) {
    const id = store.lookup(ref);
    if (!id) throw new NotFoundError(`No such image: ${ref}`);
    const tags = wanted.get(id) ?? [];
    const byId = id.includes(ref.replace(/^sha256:/, '')) && /^(sha256:)?[a-f0-9]+$/.test(ref);
    if (!byId) {
      const r = withDefaultTag(parseReference(ref));
      if (r.tag) tags.push(`${familiarRepository(r)}:${r.tag}`);
    }
    wanted.set(id, tags);
  }
  const tw = new TarWriter(out);
  const mtime = Math.floor(Date.now() / 1000);
  const manifest: SaveManifestEntry[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  const writtenLayers = new Set<string>();
  for (const [id, tags] of wanted) {
    const configBytes = await store.blobs.get(id);
    const config = await store.config(id);
    await tw.add({ name: `${digestHex(id)}.json`, type: 'file', mode: 0o644, mtime }, { data: configBytes });
    const layerPaths: string[] = [];
    let parent = '';
    for (const diffId of config.rootfs.diff_ids) {
      opts.signal?.throwIfAborted();
      // v1-style layer directory IDs: a chain, so identical layers in one position share a dir
      const layerId = createHash('sha256')
        .update(parent ? `${parent} ${diffId}` : diffId)
        .digest('hex');
      if (!writtenLayers.has(layerId)) {
        writtenLayers.add(layerId);
        const meta = await store.layers.meta(diffId);
        const blob = await store.layers.blobFor(diffId);
        if (!meta || !blob) throw new NotFoundError(`layer ${diffId} of image ${id} is missing from the store`);
        await tw.add({ name: layerId, type: 'dir', mode: 0o755, mtime });
        await tw.add({ name: `${layerId}/VERSION`, type: 'file', mode: 0o644, mtime }, { data: Buffer.from('1.0') });
        const legacy = {
          id: layerId,
          ...(parent ? { parent } : {}),
          created: config.created ?? '1970-01-01T00:00:00Z',
          container_config: {},
        };
        await tw.add(
          { name: `${layerId}/json`, type: 'file', mode: 0o644, mtime },
          { data: Buffer.from(JSON.stringify(legacy)) },
        );
        await tw.add(
          { name: `${layerId}/layer.tar`, type: 'file', mode: 0o644, mtime, size: meta.size },
          { stream: await openUncompressed(store.blobs.path(blob.digest)) },
        );
      }
      layerPaths.push(`${layerId}/layer.tar`);
      parent = layerId;
    }
    manifest.push({ Config: `${digestHex(id)}.json`, RepoTags: tags.length ? tags : null, Layers: layerPaths });
    for (const t of tags) {
      const colon = t.lastIndexOf(':');
      (repositories[t.slice(0, colon)] ??= {})[t.slice(colon + 1)] = parent;
    }
  }
  await tw.add(
    { name: 'manifest.json', type: 'file', mode: 0o644, mtime },
    { data: Buffer.from(JSON.stringify(manifest)) },
  );
  if (Object.keys(repositories).length) {
    await tw.add(
      { name: 'repositories', type: 'file', mode: 0o644, mtime },
      { data: Buffer.from(JSON.stringify(repositories)) },
    );
  }
  await tw.finish();
}
