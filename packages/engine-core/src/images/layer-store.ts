// Unpacked layers, one directory per diff ID (<root>/layers/<hex>/diff), unpacked once and shared
// by every image that stacks them. meta.json remembers the blobs (compressed or not) of the layer.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { writeLayerTar } from '../archive/layer-diff';
import { unpackLayer } from '../archive/layer-unpack';
import { silentLogger, type Logger } from '../log';
import { DigestStream } from '../util/digest-stream';
import type { BlobStore } from './blob-store';
import { DigestMismatchError } from './errors';
import { digestHex } from './digest';
import { KeyedMutex, writeFileAtomic } from './fs-util';
import { MEDIA, type Descriptor } from './oci';

export interface LayerMeta {
  diffId: string;
  /** Uncompressed tar size. */
  size: number;
  /** Known blobs holding this layer (the uncompressed tar, a pulled gzip, ...). */
  blobs: Descriptor[];
}

export class LayerStore {
  readonly dir: string;
  private readonly locks = new KeyedMutex();
  /** meta.json contents, cached: every container start resolves its image's layers. */
  private readonly metas = new Map<string, LayerMeta>();
  private readonly log: Logger;
  constructor(
    root: string,
    private readonly blobs: BlobStore,
    opts: { log?: Logger } = {},
  ) {
    this.dir = join(root, 'layers');
    this.log = opts.log ?? silentLogger;
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  diffDir(diffId: string): string {
    return join(this.dir, digestHex(diffId), 'diff');
  }

  async meta(diffId: string): Promise<LayerMeta | undefined> {
    const hit = this.metas.get(diffId);
    if (hit) return hit;
    try {
      const meta = JSON.parse(await readFile(join(this.dir, digestHex(diffId), 'meta.json'), 'utf8')) as LayerMeta;
      this.metas.set(diffId, meta);
      return meta;
    } catch {
      return undefined;
    }
  }

  async has(diffId: string): Promise<boolean> {
    return (await this.meta(diffId)) !== undefined;
  }

  private async addBlob(meta: LayerMeta, blob: Descriptor): Promise<void> {
    if (meta.blobs.some((b) => b.digest === blob.digest)) return;
    meta.blobs.push({ mediaType: blob.mediaType, digest: blob.digest, size: blob.size });
    await writeFileAtomic(join(this.dir, digestHex(meta.diffId), 'meta.json'), JSON.stringify(meta));
  }

  /**
   * Make sure the layer held in blob `blob` is unpacked. Verifies the diff ID when `expectedDiffId`
   * is given (it always is for images: the config's rootfs.diff_ids).
   */
  async ensureFromBlob(blob: Descriptor, expectedDiffId?: string, signal?: AbortSignal): Promise<LayerMeta> {
    const key = expectedDiffId ?? blob.digest;
    return this.locks.run(key, async () => {
      if (expectedDiffId) {
        const existing = await this.meta(expectedDiffId);
        if (existing) {
          await this.addBlob(existing, blob);
          return existing;
        }
      }
      const tmp = join(this.dir, `.unpack-${randomBytes(6).toString('hex')}`);
      await mkdir(join(tmp, 'diff'), { recursive: true });
      try {
        const t0 = Date.now();
        const { diffId, size } = await unpackLayer(this.blobs.path(blob.digest), join(tmp, 'diff'), { signal });
        if (expectedDiffId && diffId !== expectedDiffId)
          throw new DigestMismatchError(expectedDiffId, diffId, 'layer diff ID');
        const meta: LayerMeta = {
          diffId,
          size,
          blobs: [{ mediaType: blob.mediaType, digest: blob.digest, size: blob.size }],
        };
        const existing = await this.meta(diffId);
        if (existing) {
          await this.addBlob(existing, blob);
          return existing;
        }
        await writeFileAtomic(join(tmp, 'meta.json'), JSON.stringify(meta));
        await rename(tmp, join(this.dir, digestHex(diffId)));
        this.log.debug({ diffId, size, ms: Date.now() - t0 }, 'layer unpacked');
        return meta;
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    });
  }

  /**
   * Turn a directory (overlay upper or COPY staging dir) into a layer: archive it into an
   * uncompressed tar blob (its digest is the diff ID) and move the directory into place as the
   * unpacked copy. The directory must be on the same filesystem as the store.
   */
  async createFromDir(dir: string, opts: { overlayUpper?: boolean } = {}): Promise<LayerMeta> {
    const tmpTar = this.blobs.tempPath('layer');
    // hash on the way to disk, so the tar is written once and never read back
    const hasher = new DigestStream();
    const file = createWriteStream(tmpTar, { highWaterMark: 1 << 20 });
    const written = pipeline(hasher, file);
    try {
      await Promise.all([writeLayerTar(dir, hasher, opts), written]);
      const digest = hasher.digest();
      const size = hasher.size;
      await rename(tmpTar, this.blobs.path(digest));
      return await this.locks.run(digest, async () => {
        const blob: Descriptor = { mediaType: MEDIA.ociLayer, digest, size };
        const existing = await this.meta(digest);
        if (existing) {
          await this.addBlob(existing, blob);
          await rm(dir, { recursive: true, force: true });
          return existing;
        }
        const meta: LayerMeta = { diffId: digest, size, blobs: [blob] };
        const target = join(this.dir, digestHex(digest));
        const staging = `${target}.new-${randomBytes(4).toString('hex')}`;
        await mkdir(staging);
        await rename(dir, join(staging, 'diff'));
        await writeFileAtomic(join(staging, 'meta.json'), JSON.stringify(meta));
        await rename(staging, target);
        return meta;
      });
    } finally {
      await rm(tmpTar, { force: true });
    }
  }

  /** A blob holding this layer, preferring one that exists; `uncompressed` asks for the plain tar. */
  async blobFor(diffId: string, opts: { uncompressed?: boolean } = {}): Promise<Descriptor | undefined> {
    const meta = await this.meta(diffId);
    if (!meta) return undefined;
    for (const b of meta.blobs) {
      if (opts.uncompressed && b.digest !== diffId) continue;
      if (await this.blobs.has(b.digest)) return b;
    }
    return undefined;
  }

  async remove(diffId: string): Promise<void> {
    const meta = await this.meta(diffId);
    this.metas.delete(diffId);
    const dir = join(this.dir, digestHex(diffId));
    const trash = `${dir}.rm-${randomBytes(4).toString('hex')}`;
    try {
      await stat(dir);
      await rename(dir, trash);
    } catch {
      return;
    }
    for (const b of meta?.blobs ?? []) await this.blobs.delete(b.digest);
    await rm(trash, { recursive: true, force: true });
  }
}
