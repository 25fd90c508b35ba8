// The local image store (OCI image layout under paths.images): images are config + manifest blobs
// plus unpacked layers; names live in repositories.json (and a mirrored OCI index.json).
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, NotFoundError } from '../errors';
import { silentLogger, type Logger } from '../log';
import { runTool } from '../util/command';
import { BlobStore } from './blob-store';
import { sha256, shortId } from './digest';
import type { ImageDeleteItem, ImageHistoryItem, ImageInspect, ImageSummary } from './docker-shapes';
import { Mutex } from './fs-util';
import { imageHistory, imageInspect, imageSummary, matchesFilters, type ImageFilters } from './image-views';
import { LayerStore } from './layer-store';
import { MEDIA, type Descriptor, type ImageConfig, type ImageManifest } from './oci';
import { canonicalString, familiarString, normalizeReference, parseReference, withDefaultTag } from './reference';
import { planRemoval } from './removal';
import { Repositories, type StoredImage } from './repositories';
import type { ImageProvider, ImageRecord } from './types';

/** Who uses an image; supplied by the container layer so `rmi` can refuse like docker. */
export type ImageUsageChecker = (imageId: string) => { containerId: string; running: boolean }[];

export interface AddImageOptions {
  /** Original manifest bytes (pulled images keep theirs so the repo digest stays true). */
  manifest?: Buffer;
  tags?: string[];
  repoDigests?: string[];
  parent?: string;
}

export interface ImageStoreOptions {
  /** The store's logger; its layer store logs to a child with component "layers". */
  log?: Logger;
}

export class ImageStore implements ImageProvider {
  readonly blobs: BlobStore;
  readonly layers: LayerStore;
  private readonly repos: Repositories;
  private readonly configs = new Map<string, ImageConfig>();
  private readonly lock = new Mutex();
  private usage: ImageUsageChecker = () => [];
  private readonly log: Logger;

  private constructor(
    readonly root: string,
    opts: ImageStoreOptions,
  ) {
    this.log = opts.log ?? silentLogger;
    this.blobs = new BlobStore(root);
    this.layers = new LayerStore(root, this.blobs, { log: this.log.child({ component: 'layers' }) });
    this.repos = new Repositories(root, this.blobs);
  }

  /** Open (creating if needed) the store rooted at `root` (DataPaths.images). */
  static async open(root: string, opts: ImageStoreOptions = {}): Promise<ImageStore> {
    const s = new ImageStore(root, opts);
    await mkdir(root, { recursive: true });
    await s.blobs.init();
    await s.layers.init();
    await s.recover();
    if (!(await s.repos.load()))
      await writeFile(join(root, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    return s;
  }

  /**
   * Clean what a crash left half done: temp files and dirs (after unmounting any COPY --from view
   * still mounted there) and interrupted layer unpacks. Finished layers and blobs are untouched.
   */
  private async recover(): Promise<void> {
    const tmp = join(this.root, 'tmp');
    const mounts = await readFile('/proc/mounts', 'utf8').catch(() => '');
    for (const line of mounts.split('\n')) {
      const mp = line.split(' ')[1]?.replace(/\\040/g, ' ');
      if (mp?.startsWith(`${tmp}/`)) await runTool('umount', ['-l', mp]).catch(() => undefined);
    }
    for (const n of await readdir(tmp)) await rm(join(tmp, n), { recursive: true, force: true });
    for (const n of await readdir(this.layers.dir)) {
      if (n.startsWith('.') || n.includes('.new-') || n.includes('.rm-'))
        await rm(join(this.layers.dir, n), { recursive: true, force: true });
    }
  }

  setUsageChecker(fn: ImageUsageChecker): void {
    this.usage = fn;
  }

  /** A temp path on the store's filesystem (for staging dirs that become layers by rename). */
  tempPath(prefix: string): string {
    return this.blobs.tempPath(prefix);
  }

  async config(id: string): Promise<ImageConfig> {
    let c = this.configs.get(id);
    if (!c) {
      c = JSON.parse((await this.blobs.get(id)).toString('utf8')) as ImageConfig;
      this.configs.set(id, c);
    }
    return c;
  }

  async manifest(id: string): Promise<{ digest: string; bytes: Buffer; manifest: ImageManifest }> {
    const img = this.repos.stored(id);
    const bytes = await this.blobs.get(img.manifestDigest);
    return { digest: img.manifestDigest, bytes, manifest: JSON.parse(bytes.toString('utf8')) as ImageManifest };
  }

  /**
   * Register an image whose config blob is `configBytes` and whose layers are already in the layer
   * store. Returns the record; tags move to it from any image that held them.
   */
  async addImage(configBytes: Buffer, opts: AddImageOptions = {}): Promise<ImageRecord> {
    const config = JSON.parse(configBytes.toString('utf8')) as ImageConfig;
    const layerBlobs: Descriptor[] = [];
    for (const d of config.rootfs?.diff_ids ?? []) {
      const b = await this.layers.blobFor(d);
      if (!b) throw new InvalidArgumentError(`layer ${d} of the image is missing from the store`);
      layerBlobs.push(b);
    }
    const { digest: id } = await this.blobs.putBuffer(configBytes);
    let manifestBytes = opts.manifest;
    if (!manifestBytes) {
      const m: ImageManifest = {
        schemaVersion: 2,
        mediaType: MEDIA.ociManifest,
        config: { mediaType: MEDIA.ociConfig, digest: id, size: configBytes.length },
        layers: layerBlobs.map((b) => ({ mediaType: b.mediaType, digest: b.digest, size: b.size })),
      };
      manifestBytes = Buffer.from(JSON.stringify(m));
    }
    const { digest: manifestDigest } = await this.blobs.putBuffer(manifestBytes);
    this.configs.set(id, config);
    return this.lock.run(async () => {
      const rec = this.repos.ensure(id, (): StoredImage => ({
        id,
        manifestDigest,
        repoDigests: [],
        parent: opts.parent,
      }));
      for (const d of opts.repoDigests ?? []) if (!rec.repoDigests.includes(d)) rec.repoDigests.push(d);
      for (const t of opts.tags ?? []) {
        this.repos.setTag(normalizeReference(t), id);
        rec.lastTagTime = new Date().toISOString();
      }
      await this.repos.persist();
      return this.record(id);
    });
  }

  /** The ImageRecord (store contract) of a known image ID. */
  async record(id: string): Promise<ImageRecord> {
    const s = this.repos.stored(id);
    const c = await this.config(id);
    const diffIds = c.rootfs?.diff_ids ?? [];
    let size = 0;
    for (const d of diffIds) size += (await this.layers.meta(d))?.size ?? 0;
    return {
      id,
      repoTags: this.repos.tagsOf(id),
      repoDigests: s.repoDigests.map((d) => familiarString(parseReference(d))),
      created: c.created ?? new Date(0).toISOString(),
      size,
      architecture: c.architecture,
      os: c.os,
      config: c.config ?? {},
      diffIds,
    };
  }

  /** Find an image ID without throwing. */
  lookup(ref: string): string | undefined {
    return this.repos.lookup(ref);
  }

  async resolve(ref: string): Promise<ImageRecord> {
    const id = this.lookup(ref);
    if (!id) throw new NotFoundError(`No such image: ${ref}`);
    return this.record(id);
  }

  async layerDirs(image: ImageRecord): Promise<string[]> {
    const dirs: string[] = [];
    for (const d of image.diffIds) {
      if (!(await this.layers.has(d)))
        throw new NotFoundError(
          `layer ${d} of image ${shortId(image.id)} is missing from the store; pull or load the image again`,
        );
      dirs.push(this.layers.diffDir(d));
    }
    return dirs;
  }

  /** All images; intermediate build images are never registered, so `all` changes nothing yet. */
  async list(opts: { filters?: ImageFilters } = {}): Promise<ImageRecord[]> {
    const out: ImageRecord[] = [];
    for (const id of this.repos.ids()) {
      const rec = await this.record(id);
      if (matchesFilters(rec, opts.filters)) out.push(rec);
    }
    return out.sort((a, b) => b.created.localeCompare(a.created));
  }

  async summaries(opts: Parameters<ImageStore['list']>[0] = {}): Promise<ImageSummary[]> {
    const recs = await this.list(opts);
    return recs.map((r) => imageSummary(r, this.repos.get(r.id)?.parent));
  }

  async inspect(ref: string): Promise<ImageInspect> {
    const r = await this.resolve(ref);
    return imageInspect(r, await this.config(r.id), this.repos.stored(r.id), await this.layerDirs(r));
  }

  async history(ref: string): Promise<ImageHistoryItem[]> {
    const r = await this.resolve(ref);
    return imageHistory(r, await this.config(r.id), async (d) => (await this.layers.meta(d))?.size ?? 0);
  }

  /** docker tag SOURCE TARGET */
  async tag(source: string, target: string): Promise<void> {
    const id = this.lookup(source);
    if (!id) throw new NotFoundError(`No such image: ${source}`);
    const t = parseReference(target);
    if (t.digest) throw new InvalidArgumentError(`refusing to create a tag with a digest reference: ${target}`);
    await this.lock.run(async () => {
      this.repos.setTag(canonicalString(withDefaultTag(t)), id);
      this.repos.stored(id).lastTagTime = new Date().toISOString();
      await this.repos.persist();
    });
  }

  /** Record that the image is known in a registry by this digest (after push or pull). */
  async addRepoDigest(id: string, canonicalDigestRef: string): Promise<void> {
    await this.lock.run(async () => {
      const s = this.repos.stored(id);
      if (!s.repoDigests.includes(canonicalDigestRef)) s.repoDigests.push(canonicalDigestRef);
      await this.repos.persist();
    });
  }

  /** docker rmi: untag by name, delete by ID, with docker's conflict rules (removal.ts). */
  async remove(ref: string, opts: { force?: boolean } = {}): Promise<ImageDeleteItem[]> {
    return this.lock.run(async () => {
      const id = this.lookup(ref);
      if (!id) throw new NotFoundError(`No such image: ${ref}`);
      let byName: string | undefined;
      try {
        const canon = normalizeReference(ref);
        if (this.repos.tagged(canon) === id) byName = canon;
      } catch {
        byName = undefined;
      }
      const plan = planRemoval({
        ref,
        id,
        byName,
        tags: this.repos.canonicalTagsOf(id),
        users: this.usage(id),
        force: !!opts.force,
      });
      const out: ImageDeleteItem[] = [];
      if (plan.kind === 'untag') {
        this.repos.untag(plan.tag);
        out.push({ Untagged: familiarString(parseReference(plan.tag)) });
        await this.repos.persist();
        return out;
      }
      for (const t of plan.tags) {
        this.repos.untag(t);
        out.push({ Untagged: familiarString(parseReference(t)) });
      }
      const s = this.repos.stored(id);
      for (const d of s.repoDigests) out.push({ Untagged: familiarString(parseReference(d)) });
      if (plan.keepImage) {
        // forced removal of an image a container still uses: only its names go, like docker
        await this.repos.persist();
        return out;
      }
      const config = await this.config(id);
      this.repos.delete(id);
      await this.repos.persist();
      out.push({ Deleted: id });
      await this.gc(id, s.manifestDigest, config);
      return out;
    });
  }

  /**
   * docker image prune: remove dangling images (no tags), or with `all` every image no container
   * uses. Returns docker's response body.
   */
  async prune(opts: { all?: boolean } = {}): Promise<{ ImagesDeleted: ImageDeleteItem[]; SpaceReclaimed: number }> {
    const deleted: ImageDeleteItem[] = [];
    let reclaimed = 0;
    for (const id of this.repos.ids()) {
      if (this.usage(id).length) continue;
      if (!opts.all && this.repos.tagsOf(id).length) continue;
      const size = (await this.record(id)).size;
      const items = await this.remove(id, { force: true }).catch(() => []);
      if (items.some((i) => 'Deleted' in i)) reclaimed += size;
      deleted.push(...items);
    }
    return { ImagesDeleted: deleted, SpaceReclaimed: reclaimed };
  }

  /** Delete the blobs and layers of a removed image that no remaining image shares. */
  private async gc(id: string, manifestDigest: string, config: ImageConfig): Promise<void> {
    const keep = new Set<string>();
    for (const other of this.repos.ids()) {
      for (const d of (await this.config(other)).rootfs?.diff_ids ?? []) keep.add(d);
    }
    if (!this.repos.manifestInUse(manifestDigest)) await this.blobs.delete(manifestDigest);
    this.configs.delete(id);
    for (const d of config.rootfs?.diff_ids ?? []) {
      if (!keep.has(d)) {
        await this.layers.remove(d);
        this.log.debug({ diffId: d }, 'layer removed');
      }
    }
    // the config blob itself stays: the build cache may point at it, and it is a few hundred bytes
  }

  /** Build a fresh image config JSON (bytes) the way the store expects (for import and builder). */
  static encodeConfig(config: ImageConfig): Buffer {
    return Buffer.from(JSON.stringify(config));
  }

  static idOf(configBytes: Buffer): string {
    return sha256(configBytes);
  }
}
