// docker import: a root filesystem tar (plain or gzip) becomes a single-layer image, with
// optional Dockerfile-style --change instructions (CMD, ENV, ...) and a tag.
import { applyConfigInstruction } from '../builder/config-apply';
import { parseDockerfile } from '../builder/parser';
import { BuildError, InvalidArgumentError } from '../errors';
import type { ImageStore } from '../images/image-store';
import { MEDIA, type ImageConfig } from '../images/oci';
import { parseReference } from '../images/reference';
import type { ContainerConfigSpec, ImageRecord } from '../images/types';
import { detectCompression } from '../archive/layer-unpack';

const ALLOWED_CHANGES = new Set([
  'CMD',
  'ENTRYPOINT',
  'ENV',
  'EXPOSE',
  'LABEL',
  'ONBUILD',
  'USER',
  'VOLUME',
  'WORKDIR',
  'STOPSIGNAL',
  'HEALTHCHECK',
  'SHELL',
]);

export interface ImportOptions {
  /** repository[:tag] to give the image. */
  tag?: string;
  /** --change lines, e.g. 'CMD ["/bin/sh"]', 'ENV A=b'. */
  changes?: string[];
  /** --message: the history comment. */
  message?: string;
  /** Where the tar came from, for the history ("-" for stdin, or a path/URL). */
  source?: string;
  signal?: AbortSignal;
}

export async function importRootfs(
  store: ImageStore,
  tar: NodeJS.ReadableStream,
  opts: ImportOptions = {},
): Promise<ImageRecord> {
  if (opts.tag && parseReference(opts.tag).digest)
    throw new InvalidArgumentError(`invalid tag ${opts.tag}: a tag cannot contain a digest`);
  const config: ContainerConfigSpec = {};
  for (const change of opts.changes ?? []) {
    const df = parseDockerfile(change, '--change');
    for (const inst of df.instructions) {
      if (!ALLOWED_CHANGES.has(inst.cmd)) throw new BuildError(`${inst.cmd} is not a valid change command`);
      applyConfigInstruction(config, inst, () => undefined);
    }
  }
  const blob = await store.blobs.putStream(tar, { signal: opts.signal });
  const compression = await detectCompression(store.blobs.path(blob.digest));
  const layer = await store.layers.ensureFromBlob(
    { mediaType: compression === 'gzip' ? MEDIA.ociLayerGzip : MEDIA.ociLayer, digest: blob.digest, size: blob.size },
    undefined,
    opts.signal,
  );
  const created = new Date().toISOString();
  const image: ImageConfig = {
    architecture: 'amd64',
    os: 'linux',
    created,
    config,
    rootfs: { type: 'layers', diff_ids: [layer.diffId] },
    history: [{ created, created_by: '', comment: opts.message ?? `Imported from ${opts.source ?? '-'}` }],
  };
  if (opts.message) image.comment = opts.message;
  return store.addImage(Buffer.from(JSON.stringify(image)), { tags: opts.tag ? [opts.tag] : [] });
}
