// The local image store (OCI image layout under paths.images): images are config + manifest blobs
// plus unpacked layers; names live in repositories.json (and a mirrored OCI index.json).
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runTool } from '../util/command';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../errors';
import { silentLogger, type Logger } from '../log';
import { BlobStore } from './blob-store';
import { sha256, shortId } from './digest';
import type { ImageDeleteItem, ImageHistoryItem, ImageInspect, ImageSummary } from './docker-shapes';
import { Mutex, writeFileAtomic } from './fs-util';
import { LayerStore } from './layer-store';
import { MEDIA, type Descriptor, type ImageConfig, type ImageManifest } from './oci';
import {
  canonicalString,
  familiarString,
  looksLikeId,
  parseReference,
  repositoryName,
  withDefaultTag,
  type ImageReference,
} from './reference';
import type { ImageProvider, ImageRecord } from './types';

interface StoredImage {
  id: string;
  manifestDigest: string;
  /** Canonical "docker.io/library/busybox@sha256:..." names this image was pulled or pushed by. */
  repoDigests: string[];
  parent?: string;
  lastTagTime?: string;
}

interface State {
  images: Record<string, StoredImage>;
  /** canonical tagged reference -> image ID */
  tags: Record<string, string>;
}

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
  private state: State = { images: {}, tags: {} };
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
  }

  /** Open (creating if needed) the store rooted at `root` (DataPaths.images). */
  static async open(root: string, opts: ImageStoreOptions = {}): Promise<ImageStore> {
    const s = new ImageStore(root, opts);
    await mkdir(root, { recursive: true });
    await s.blobs.init();
    await s.layers.init();
    await s.recover();
    try {
      s.state = JSON.parse(await readFile(join(root, 'repositories.json'), 'utf8')) as State;
    } catch {
      await writeFile(join(root, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    }
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

  private async persist(): Promise<void> {
    await writeFileAtomic(join(this.root, 'repositories.json'), JSON.stringify(this.state));
    const manifests: Descriptor[] = [];
    for (const img of Object.values(this.state.images)) {
      const size = await this.blobs.size(img.manifestDigest).catch(() => 0);
      const names = Object.entries(this.state.tags)
        .filter(([, id]) => id === img.id)
        .map(([n]) => n);
      const base = { mediaType: MEDIA.ociManifest, digest: img.manifestDigest, size };
      if (names.length === 0) manifests.push(base);
      for (const n of names) {
        manifests.push({
          ...base,
          annotations: {
            'io.containerd.image.name': n,
            'org.opencontainers.image.ref.name': n.slice(n.lastIndexOf(':') + 1),
          },
        });
      }
    }
    await writeFileAtomic(
      join(this.root, 'index.json'),
      JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests }),
    );
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
    const img = this.stored(id);
    const bytes = await this.blobs.get(img.manifestDigest);
    return { digest: img.manifestDigest, bytes, manifest: JSON.parse(bytes.toString('utf8')) as ImageManifest };
  }

  private stored(id: string): StoredImage {
    const s = this.state.images[id];
    if (!s) throw new NotFoundError(`No such image: ${id}`);
    return s;
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
      const prev = this.state.images[id];
      const rec: StoredImage = prev ?? { id, manifestDigest, repoDigests: [], parent: opts.parent };
      if (!prev) this.state.images[id] = rec;
      for (const d of opts.repoDigests ?? []) if (!rec.repoDigests.includes(d)) rec.repoDigests.push(d);
      for (const t of opts.tags ?? []) {
        this.state.tags[canonicalString(withDefaultTag(parseReference(t)))] = id;
        rec.lastTagTime = new Date().toISOString();
      }
      await this.persist();
      return this.record(id);
    });
  }

  /** The ImageRecord (store contract) of a known image ID. */
  async record(id: string): Promise<ImageRecord> {
    const s = this.stored(id);
    const c = await this.config(id);
    const diffIds = c.rootfs?.diff_ids ?? [];
    let size = 0;
    for (const d of diffIds) size += (await this.layers.meta(d))?.size ?? 0;
    return {
      id,
      repoTags: this.tagsOf(id),
      repoDigests: s.repoDigests.map((d) => familiarString(parseReference(d))),
      created: c.created ?? new Date(0).toISOString(),
      size,
      architecture: c.architecture,
      os: c.os,
      config: c.config ?? {},
      diffIds,
    };
  }

  private tagsOf(id: string): string[] {
    return Object.entries(this.state.tags)
      .filter(([, v]) => v === id)
      .map(([n]) => familiarString(parseReference(n)))
      .sort();
  }

  /** Find an image ID without throwing. */
  lookup(ref: string): string | undefined {
    const r = ref.trim();
    if (/^sha256:[a-f0-9]{64}$/.test(r) && this.state.images[r]) return r;
    if (/^[a-f0-9]{64}$/.test(r) && this.state.images[`sha256:${r}`]) return `sha256:${r}`;
    let parsed: ImageReference | undefined;
    try {
      parsed = parseReference(r);
    } catch {
      parsed = undefined;
    }
    if (parsed?.digest) {
      const repo = repositoryName(parsed);
      const want = `${repo}@${parsed.digest}`;
      for (const img of Object.values(this.state.images)) {
        if (img.repoDigests.includes(want)) return img.id;
      }
      for (const img of Object.values(this.state.images)) {
        if (img.manifestDigest === parsed.digest) return img.id;
      }
    } else if (parsed) {
      const id = this.state.tags[canonicalString(withDefaultTag(parsed))];
      if (id) return id;
    }
    if (looksLikeId(r)) {
      const prefix = r.startsWith('sha256:') ? r : `sha256:${r}`;
      const hits = Object.keys(this.state.images).filter((id) => id.startsWith(prefix));
      if (hits.length === 1) return hits[0];
      if (hits.length > 1) throw new InvalidArgumentError(`image ID prefix ${r} is ambiguous: give more digits`);
    }
    return undefined;
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
  async list(
    opts: { filters?: { reference?: string[]; dangling?: boolean; label?: string[] } } = {},
  ): Promise<ImageRecord[]> {
    const out: ImageRecord[] = [];
    for (const id of Object.keys(this.state.images)) {
      const rec = await this.record(id);
      const f = opts.filters;
      if (f?.dangling !== undefined && (rec.repoTags.length === 0) !== f.dangling) continue;
      if (f?.reference?.length && !f.reference.some((p) => rec.repoTags.some((t) => matchReference(p, t)))) continue;
      if (f?.label?.length && !f.label.every((l) => matchLabel(l, rec.config.Labels ?? {}))) continue;
      out.push(rec);
    }
    return out.sort((a, b) => b.created.localeCompare(a.created));
  }

  async summaries(opts: Parameters<ImageStore['list']>[0] = {}): Promise<ImageSummary[]> {
    const recs = await this.list(opts);
    return recs.map((r) => ({
      Id: r.id,
      ParentId: this.state.images[r.id]?.parent ?? '',
      RepoTags: r.repoTags.length ? r.repoTags : ['<none>:<none>'],
      RepoDigests: r.repoDigests.length ? r.repoDigests : r.repoTags.length ? [] : ['<none>@<none>'],
      Created: Math.floor(Date.parse(r.created) / 1000),
      Size: r.size,
      SharedSize: -1,
      VirtualSize: r.size,
      Labels: r.config.Labels ?? {},
      Containers: -1,
    }));
  }

  async inspect(ref: string): Promise<ImageInspect> {
    const r = await this.resolve(ref);
    const c = await this.config(r.id);
    const s = this.stored(r.id);
    const dirs = await this.layerDirs(r);
    return {
      Id: r.id,
      RepoTags: r.repoTags,
      RepoDigests: r.repoDigests,
      Parent: s.parent ?? '',
      Comment: c.comment ?? '',
      Created: r.created,
      Container: '',
      ContainerConfig: c.container_config ?? {},
      DockerVersion: '',
      Author: c.author ?? '',
      Config: r.config,
      Architecture: r.architecture,
      Os: r.os,
      Size: r.size,
      VirtualSize: r.size,
      GraphDriver: { Name: 'overlay2', Data: dirs.length ? { LowerDir: [...dirs].reverse().join(':') } : null },
      RootFS: { Type: 'layers', Layers: r.diffIds },
      Metadata: { LastTagTime: s.lastTagTime ?? '0001-01-01T00:00:00Z' },
    };
  }

  async history(ref: string): Promise<ImageHistoryItem[]> {
    const r = await this.resolve(ref);
    const c = await this.config(r.id);
    const hist = c.history?.length
      ? c.history
      : r.diffIds.map(() => ({}) as NonNullable<ImageConfig['history']>[number]);
    let layer = 0;
    const items: ImageHistoryItem[] = [];
    for (const h of hist) {
      let size = 0;
      if (!h.empty_layer) {
        const d = r.diffIds[layer++];
        size = d ? ((await this.layers.meta(d))?.size ?? 0) : 0;
      }
      items.push({
        Id: '<missing>',
        Created: Math.floor(Date.parse(h.created ?? r.created) / 1000),
        CreatedBy: h.created_by ?? '',
        Tags: null,
        Size: size,
        Comment: h.comment ?? '',
      });
    }
    items.reverse();
    if (items[0]) {
      items[0].Id = r.id;
      items[0].Tags = r.repoTags.length ? r.repoTags : null;
    }
    return items;
  }

  /** docker tag SOURCE TARGET */
  async tag(source: string, target: string): Promise<void> {
    const id = this.lookup(source);
    if (!id) throw new NotFoundError(`No such image: ${source}`);
    const t = parseReference(target);
    if (t.digest) throw new InvalidArgumentError(`refusing to create a tag with a digest reference: ${target}`);
    await this.lock.run(async () => {
      this.state.tags[canonicalString(withDefaultTag(t))] = id;
      this.stored(id).lastTagTime = new Date().toISOString();
      await this.persist();
    });
  }

  /** Record that the image is known in a registry by this digest (after push or pull). */
  async addRepoDigest(id: string, canonicalDigestRef: string): Promise<void> {
    await this.lock.run(async () => {
      const s = this.stored(id);
      if (!s.repoDigests.includes(canonicalDigestRef)) s.repoDigests.push(canonicalDigestRef);
      await this.persist();
    });
  }

  /** docker rmi: untag by name, delete by ID, with docker's conflict rules. */
  async remove(ref: string, opts: { force?: boolean } = {}): Promise<ImageDeleteItem[]> {
    return this.lock.run(async () => {
      const id = this.lookup(ref);
      if (!id) throw new NotFoundError(`No such image: ${ref}`);
      const out: ImageDeleteItem[] = [];
      let byName: string | undefined;
      try {
        const p = parseReference(ref);
        const canon = canonicalString(withDefaultTag(p));
        if (this.state.tags[canon] === id) byName = canon;
      } catch {
        byName = undefined;
      }
      const tags = Object.keys(this.state.tags).filter((n) => this.state.tags[n] === id);
      const users = this.usage(id);
      const running = users.find((u) => u.running);
      if (byName) {
        if (tags.length > 1) {
          delete this.state.tags[byName];
          out.push({ Untagged: familiarString(parseReference(byName)) });
          await this.persist();
          return out;
        }
        if (users.length && !opts.force) {
          throw new ConflictError(
            `conflict: unable to remove repository reference "${ref}" (must force) - container ${shortId(users[0].containerId)} is using its referenced image ${shortId(id)}`,
          );
        }
      } else {
        if (running) {
          throw new ConflictError(
            `conflict: unable to delete ${shortId(id)} (cannot be forced) - image is being used by running container ${shortId(running.containerId)}`,
          );
        }
        if (tags.length > 1 && !opts.force) {
          throw new ConflictError(
            `conflict: unable to delete ${shortId(id)} (must be forced) - image is referenced in multiple repositories`,
          );
        }
        if (users.length && !opts.force) {
          throw new ConflictError(
            `conflict: unable to delete ${shortId(id)} (must be forced) - image is being used by stopped container ${shortId(users[0].containerId)}`,
          );
        }
      }
      for (const t of tags) {
        delete this.state.tags[t];
        out.push({ Untagged: familiarString(parseReference(t)) });
      }
      const s = this.state.images[id];
      for (const d of s.repoDigests) out.push({ Untagged: familiarString(parseReference(d)) });
      if (users.length) {
        // forced removal of an image a container still uses: only its names go, like docker
        await this.persist();
        return out;
      }
      const config = await this.config(id);
      delete this.state.images[id];
      await this.persist();
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
    for (const id of Object.keys(this.state.images)) {
      if (this.usage(id).length) continue;
      if (!opts.all && this.tagsOf(id).length) continue;
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
    for (const other of Object.keys(this.state.images)) {
      for (const d of (await this.config(other)).rootfs?.diff_ids ?? []) keep.add(d);
    }
    if (!Object.values(this.state.images).some((i) => i.manifestDigest === manifestDigest))
      await this.blobs.delete(manifestDigest);
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

function matchReference(pattern: string, tag: string): boolean {
  const withTag = pattern.includes(':') ? pattern : `${pattern}:*`;
  const re = new RegExp(
    `^${withTag
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(tag);
}

function matchLabel(filter: string, labels: Record<string, string>): boolean {
  const eq = filter.indexOf('=');
  if (eq < 0) return filter in labels;
  return labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}
