// docker load: a `docker save` archive (classic manifest.json layout, or the OCI image layout
// that docker 25+ writes) -> images in the store. Every layer is checked against the config's
// diff IDs before the image is registered.
import { access, mkdir, readFile, realpath, rm } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import { InvalidArgumentError } from '../errors';
import { sha256 } from '../images/digest';
import type { ImageStore } from '../images/image-store';
import {
  MEDIA,
  isIndexMediaType,
  pairLayers,
  type Descriptor,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
} from '../images/oci';
import { familiarString, parseReference, withDefaultTag } from '../images/reference';
import { runTool } from '../util/command';
import { detectCompression } from '../archive/layer-unpack';
import type { SaveManifestEntry } from './save';

export interface LoadResult {
  /** Docker's output lines: "Loaded image: busybox:latest" / "Loaded image ID: sha256:...". */
  messages: string[];
  images: { id: string; tags: string[] }[];
}

interface Candidate {
  config: string;
  layers: string[];
  tags: string[];
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}

function inside(dir: string, rel: string): string {
  const p = normalize(join(dir, rel));
  if (!p.startsWith(`${dir}/`)) throw new InvalidArgumentError(`invalid path in archive: ${rel}`);
  return p;
}

async function fromOciLayout(dir: string): Promise<Candidate[]> {
  const blobPath = (d: string) => inside(dir, `blobs/${d.replace(':', '/')}`);
  const readJson = async <T>(d: string): Promise<T> => JSON.parse(await readFile(blobPath(d), 'utf8')) as T;
  const out: Candidate[] = [];
  const visit = async (desc: Descriptor, tags: string[]): Promise<void> => {
    if (isIndexMediaType(desc.mediaType)) {
      const idx = await readJson<ImageIndex>(desc.digest);
      const pick = idx.manifests.filter(
        (m) => !m.platform || (m.platform.os === 'linux' && m.platform.architecture === 'amd64'),
      );
      for (const m of pick.slice(0, 1)) await visit(m, tags);
      return;
    }
    const m = await readJson<ImageManifest>(desc.digest);
    out.push({ config: blobPath(m.config.digest), layers: m.layers.map((l) => blobPath(l.digest)), tags });
  };
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as ImageIndex;
  for (const d of index.manifests) {
    const name = d.annotations?.['io.containerd.image.name'] ?? d.annotations?.['org.opencontainers.image.ref.name'];
    let tags: string[] = [];
    if (name && !/^[\w][\w.-]*$/.test(name)) tags = [familiarString(withDefaultTag(parseReference(name)))];
    await visit(d, tags);
  }
  return out;
}

/** Refuse archive members that are symlinks leading out of the archive (older docker links duplicate layers). */
async function contained(dir: string, p: string): Promise<string> {
  const real = await realpath(p).catch(() => {
    throw new InvalidArgumentError(`invalid archive: ${p.slice(dir.length + 1)} is missing`);
  });
  if (!real.startsWith(`${await realpath(dir)}/`))
    throw new InvalidArgumentError(`invalid archive: ${p.slice(dir.length + 1)} points outside the archive`);
  return real;
}

/** Load an archive (docker save format or OCI layout tar) from `input` into the store. */
export async function loadImages(
  store: ImageStore,
  input: NodeJS.ReadableStream,
  opts: { signal?: AbortSignal } = {},
): Promise<LoadResult> {
  const dir = store.tempPath('load');
  await mkdir(dir, { recursive: true });
  try {
    try {
      await runTool('tar', ['-x', '--no-same-owner', '-C', dir, '-f', '-'], { input, signal: opts.signal });
    } catch (e) {
      throw new InvalidArgumentError(`the input is not a valid image archive: ${(e as Error).message}`, { cause: e });
    }
    let candidates: Candidate[];
    if (await exists(join(dir, 'manifest.json'))) {
      const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as SaveManifestEntry[];
      candidates = manifest.map((m) => ({
        config: inside(dir, m.Config),
        layers: m.Layers.map((l) => inside(dir, l)),
        tags: m.RepoTags ?? [],
      }));
    } else if (await exists(join(dir, 'index.json'))) {
      candidates = await fromOciLayout(dir);
    } else {
      throw new InvalidArgumentError(
        'the input is not a docker save archive: it has neither manifest.json nor index.json',
      );
    }
    const result: LoadResult = { messages: [], images: [] };
    for (const c of candidates) {
      opts.signal?.throwIfAborted();
      const configBytes = await readFile(await contained(dir, c.config));
      const config = JSON.parse(configBytes.toString('utf8')) as ImageConfig;
      const diffIds = config.rootfs?.diff_ids ?? [];
      const layers = pairLayers(c.layers, diffIds);
      if (!layers) {
        throw new InvalidArgumentError(
          `invalid archive: the config lists ${diffIds.length} layers but the manifest ${c.layers.length}`,
        );
      }
      for (const { layer, diffId } of layers) {
        if (await store.layers.has(diffId)) continue;
        // the extracted archive is thrown away afterwards: move, do not copy
        const blob = await store.blobs.putFile(await contained(dir, layer), { move: true });
        const gz = (await detectCompression(store.blobs.path(blob.digest))) === 'gzip';
        await store.layers.ensureFromBlob(
          { mediaType: gz ? MEDIA.ociLayerGzip : MEDIA.ociLayer, digest: blob.digest, size: blob.size },
          diffId,
          opts.signal,
        );
      }
      const tags = c.tags.map((t) => familiarString(withDefaultTag(parseReference(t))));
      for (const t of tags) {
        const prev = store.lookup(t);
        const id = imageIdOf(configBytes);
        if (prev && prev !== id)
          result.messages.push(`The image ${t} already exists, renaming the old one with ID ${prev} to empty string`);
      }
      const img = await store.addImage(configBytes, { tags });
      result.images.push({ id: img.id, tags });
      if (tags.length) for (const t of tags) result.messages.push(`Loaded image: ${t}`);
      else result.messages.push(`Loaded image ID: ${img.id}`);
    }
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function imageIdOf(configBytes: Buffer): string {
  return sha256(configBytes);
}
