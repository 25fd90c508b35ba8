// The image store's names: which images exist (ID -> manifest, repo digests, parent) and which tags
// point at them. Persisted as repositories.json, mirrored into the OCI layout's index.json.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, NotFoundError } from '../errors';
import type { BlobStore } from './blob-store';
import { writeFileAtomic } from './fs-util';
import { MEDIA, type Descriptor } from './oci';
import {
  canonicalString,
  familiarString,
  looksLikeId,
  parseReference,
  repositoryName,
  withDefaultTag,
  type ImageReference,
} from './reference';

export interface StoredImage {
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

export class Repositories {
  private state: State = { images: {}, tags: {} };

  constructor(
    private readonly root: string,
    private readonly blobs: BlobStore,
  ) {}

  /** Read repositories.json; false when there is none yet (a new store). */
  async load(): Promise<boolean> {
    try {
      this.state = JSON.parse(await readFile(join(this.root, 'repositories.json'), 'utf8')) as State;
      return true;
    } catch {
      return false;
    }
  }

  async persist(): Promise<void> {
    await writeFileAtomic(join(this.root, 'repositories.json'), JSON.stringify(this.state));
    const manifests: Descriptor[] = [];
    for (const img of Object.values(this.state.images)) {
      const size = await this.blobs.size(img.manifestDigest).catch(() => 0);
      const names = this.canonicalTagsOf(img.id);
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

  ids(): string[] {
    return Object.keys(this.state.images);
  }

  get(id: string): StoredImage | undefined {
    return this.state.images[id];
  }

  /** The stored image of a known ID; NotFoundError otherwise. */
  stored(id: string): StoredImage {
    const s = this.state.images[id];
    if (!s) throw new NotFoundError(`No such image: ${id}`);
    return s;
  }

  /** The stored image of `id`, created with these fields when new. */
  ensure(id: string, fresh: () => StoredImage): StoredImage {
    return (this.state.images[id] ??= fresh());
  }

  delete(id: string): void {
    delete this.state.images[id];
  }

  /** True when some image still has this manifest. */
  manifestInUse(manifestDigest: string): boolean {
    return Object.values(this.state.images).some((i) => i.manifestDigest === manifestDigest);
  }

  /** The image a canonical tagged name points at. */
  tagged(canonical: string): string | undefined {
    return this.state.tags[canonical];
  }

  setTag(canonical: string, id: string): void {
    this.state.tags[canonical] = id;
  }

  untag(canonical: string): void {
    delete this.state.tags[canonical];
  }

  /** Canonical tagged names of an image, in insertion order. */
  canonicalTagsOf(id: string): string[] {
    return Object.entries(this.state.tags)
      .filter(([, v]) => v === id)
      .map(([n]) => n);
  }

  /** Familiar tagged names of an image ("busybox:latest"), sorted. */
  tagsOf(id: string): string[] {
    return this.canonicalTagsOf(id)
      .map((n) => familiarString(parseReference(n)))
      .sort();
  }

  /** Find an image ID by full ID, name[:tag], name@digest or unique ID prefix, without throwing. */
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
      const [first, ...more] = Object.keys(this.state.images).filter((id) => id.startsWith(prefix));
      if (more.length) throw new InvalidArgumentError(`image ID prefix ${r} is ambiguous: give more digits`);
      if (first) return first;
    }
    return undefined;
  }
}
