// docker commit: a new image whose top layer is the container's upper dir (copied, so the
// container keeps running on its own), config from the container plus --change instructions.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { applyConfigInstruction } from '../builder/config-apply';
import { parseDockerfile } from '../builder/parser';
import { InvalidArgumentError } from '../errors';
import type { ImageStore } from '../images/image-store';
import type { ImageConfig } from '../images/oci';
import { parseReference } from '../images/reference';
import type { ContainerConfigSpec } from '../images/types';

// The instructions docker commit --change accepts.
const COMMIT_CHANGES = new Set(['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'ONBUILD', 'USER', 'VOLUME', 'WORKDIR']);
const CONFIG_KEYS = [
  'User',
  'ExposedPorts',
  'Env',
  'Entrypoint',
  'Cmd',
  'Volumes',
  'WorkingDir',
  'Labels',
  'StopSignal',
  'Healthcheck',
  'Shell',
] as const;

export interface CommitSource {
  id: string;
  imageId: string;
  upperDir: string;
  config: Record<string, unknown>;
}

export interface CommitOptions {
  /** repository[:tag] for the new image. */
  tag?: string;
  comment?: string;
  author?: string;
  changes: string[];
  /** Config fields from the request body (docker's `docker commit` sends the container's own). */
  config?: Record<string, unknown> | null;
}

/** The image config the container's settings, the body's config and the changes make (pure). */
export function commitConfig(
  container: Record<string, unknown>,
  changes: string[],
  body?: Record<string, unknown> | null,
): ContainerConfigSpec {
  const config: Record<string, unknown> = {};
  for (const k of CONFIG_KEYS) {
    const v = body?.[k] ?? container[k];
    if (v !== undefined && v !== null && v !== '') config[k] = structuredClone(v);
  }
  const spec = config as ContainerConfigSpec;
  for (const change of changes) {
    for (const line of change.split('\n').filter((l) => l.trim())) {
      const df = parseDockerfile(line, '--change');
      for (const inst of df.instructions) {
        if (!COMMIT_CHANGES.has(inst.cmd)) throw new InvalidArgumentError(`${inst.cmd} is not a valid change command`);
        applyConfigInstruction(spec, inst, () => undefined);
      }
    }
  }
  return spec;
}

/** Make the image; returns its ID ("sha256:..."). */
export async function commitContainer(store: ImageStore, src: CommitSource, opts: CommitOptions): Promise<string> {
  if (opts.tag && parseReference(opts.tag).digest)
    throw new InvalidArgumentError(`invalid reference format: ${opts.tag}: a tag cannot contain a digest`);
  const config = commitConfig(src.config, opts.changes, opts.config);
  const base = await store.config(src.imageId);
  // A copy on the store's filesystem (whiteout devices and opaque xattrs kept) becomes the layer.
  const copy = store.blobs.tempPath('commit');
  await promisify(execFile)('cp', ['-a', src.upperDir, copy]);
  const layer = await store.layers.createFromDir(copy, { overlayUpper: true });
  const created = new Date().toISOString();
  const image: ImageConfig = {
    architecture: base.architecture || 'amd64',
    os: base.os || 'linux',
    created,
    config,
    container: src.id,
    container_config: structuredClone(src.config) as ContainerConfigSpec,
    rootfs: { type: 'layers', diff_ids: [...(base.rootfs?.diff_ids ?? []), layer.diffId] },
    history: [
      ...(base.history ?? []),
      { created, ...(opts.author ? { author: opts.author } : {}), ...(opts.comment ? { comment: opts.comment } : {}) },
    ],
    ...(opts.author ? { author: opts.author } : {}),
    ...(opts.comment ? { comment: opts.comment } : {}),
  } as ImageConfig;
  const rec = await store.addImage(Buffer.from(JSON.stringify(image)), {
    tags: opts.tag ? [opts.tag] : [],
    parent: src.imageId,
  });
  return rec.id;
}
