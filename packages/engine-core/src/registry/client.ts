// Pull, push and login over the OCI distribution protocol. Manifests and blobs are verified
// against their digests before anything lands in the store.
import { createReadStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { InvalidArgumentError, NotFoundError } from '../errors';
import { sha256, shortId } from '../images/digest';
import type { ImageStore } from '../images/image-store';
import { MEDIA, isIndexMediaType, pairLayers, type ImageIndex, type ImageManifest } from '../images/oci';
import {
  familiarRepository,
  familiarString,
  parseReference,
  repositoryName,
  withDefaultTag,
  type ImageReference,
} from '../images/reference';
import type { ImageRecord } from '../images/types';
import { silentLogger, type Logger } from '../log';
import type { AuthConfig } from './auth';
import type { CredentialStore } from './credentials';
import { RegistryError } from './errors';
import type { ProgressFn } from './progress';
import { RegistrySession, type FetchFn, type SessionOptions } from './session';

const MANIFEST_ACCEPT = [MEDIA.ociIndex, MEDIA.dockerManifestList, MEDIA.ociManifest, MEDIA.dockerManifest].join(', ');

export interface RegistryClientOptions {
  store: ImageStore;
  /** Where `login` keeps credentials; consulted when a call brings none. */
  credentials?: CredentialStore;
  /** Extra host[:port]s to reach over plain http (loopback ones always are). */
  insecureRegistries?: string[];
  fetch?: FetchFn;
  log?: Logger;
}

export interface PullOptions {
  /** Credentials for this call (X-Registry-Auth); else the credential store's. */
  auth?: AuthConfig;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

export interface PushResult {
  tag?: string;
  digest: string;
  size: number;
}

export class RegistryClient {
  private readonly log: Logger;
  constructor(private readonly opts: RegistryClientOptions) {
    this.log = opts.log ?? silentLogger;
  }

  private sessionOptions(): SessionOptions {
    return { fetch: this.opts.fetch, insecure: this.opts.insecureRegistries, log: this.log };
  }

  private async session(ref: ImageReference, actions: string[], auth?: AuthConfig): Promise<RegistrySession> {
    const creds = auth ?? (await this.opts.credentials?.get(ref.domain));
    return new RegistrySession(ref.domain, ref.path, creds, actions, this.sessionOptions());
  }

  /**
   * docker login: check the credentials against the registry (ping /v2/, answer its challenge)
   * and store them. Returns docker's /auth response body.
   */
  async login(
    server: string,
    auth: AuthConfig,
    opts: { signal?: AbortSignal; store?: boolean } = {},
  ): Promise<{ Status: string; IdentityToken: string }> {
    const domain = normalizeServer(server);
    const s = new RegistrySession(domain, '', auth, [], this.sessionOptions());
    await s.request('/v2/', { signal: opts.signal });
    if (opts.store !== false) await this.opts.credentials?.set(domain, auth);
    return { Status: 'Login Succeeded', IdentityToken: '' };
  }

  async logout(server: string): Promise<boolean> {
    return (await this.opts.credentials?.remove(normalizeServer(server))) ?? false;
  }

  /** docker pull NAME[:TAG|@DIGEST]; picks linux/amd64 from manifest lists. */
  async pull(refText: string, opts: PullOptions = {}): Promise<ImageRecord> {
    const ref = withDefaultTag(parseReference(refText));
    const store = this.opts.store;
    const progress = opts.onProgress ?? (() => undefined);
    const s = await this.session(ref, ['pull'], opts.auth);
    const wanted = ref.digest ?? ref.tag!;
    const top = await this.fetchManifest(s, wanted, ref.digest, opts.signal);
    // After the manifest, like dockerd: a pull that cannot resolve it has streamed nothing yet.
    progress({ status: `Pulling from ${ref.path}`, id: ref.digest ? undefined : ref.tag });
    let { manifest, bytes } = top;
    if (isIndexMediaType(manifest.mediaType) || 'manifests' in manifest) {
      const index = manifest as unknown as ImageIndex;
      const pick =
        index.manifests.find(
          (m) => m.platform?.os === 'linux' && m.platform.architecture === 'amd64' && !m.platform.variant,
        ) ?? index.manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === 'amd64');
      if (!pick)
        throw new NotFoundError(
          `no matching manifest for linux/amd64 in the manifest list entries of ${familiarString(ref)}`,
        );
      ({ manifest, bytes } = await this.fetchManifest(s, pick.digest, pick.digest, opts.signal));
    }
    const m = manifest as ImageManifest;
    if (!m.config?.digest || !Array.isArray(m.layers))
      throw new RegistryError(
        `unsupported manifest from ${ref.domain} (schema 1 or unknown media type ${String(m.mediaType)})`,
        502,
      );

    if (!(await store.blobs.has(m.config.digest))) {
      const res = await s.request(`/v2/${ref.path}/blobs/${m.config.digest}`, { signal: opts.signal });
      await store.blobs.putStream(Readable.fromWeb(res.body! as never), {
        expected: m.config.digest,
        signal: opts.signal,
      });
    }
    const config = await store.config(m.config.digest);
    const diffIds = config.rootfs?.diff_ids ?? [];
    const layers = pairLayers(m.layers, diffIds);
    if (!layers)
      throw new RegistryError(
        `invalid image: the manifest lists ${m.layers.length} layers but the config ${diffIds.length}`,
        502,
      );
    const previous = ref.tag ? store.lookup(familiarString(ref)) : undefined;

    // queue all layers first (docker prints them all, then completes them), then fetch in order
    const todo: typeof layers = [];
    for (const l of layers) {
      const id = shortId(l.layer.digest);
      if (await store.layers.has(l.diffId)) progress({ status: 'Already exists', id });
      else {
        progress({ status: 'Pulling fs layer', id });
        todo.push(l);
      }
    }
    // three layers at a time, like docker; each is verified and unpacked as soon as it is in
    const fetchLayer = async ({ layer, diffId }: (typeof layers)[number]): Promise<void> => {
      const id = shortId(layer.digest);
      if (layer.mediaType === MEDIA.dockerForeignLayer)
        throw new RegistryError(`foreign layer ${layer.digest} (${layer.urls?.[0] ?? 'no URL'}) is not supported`, 502);
      if (!(await store.blobs.has(layer.digest))) {
        const res = await s.request(`/v2/${ref.path}/blobs/${layer.digest}`, { signal: opts.signal });
        let current = 0;
        let reported = 0;
        const counter = new Transform({
          transform(chunk: Buffer, _e, cb) {
            current += chunk.length;
            if (current - reported >= 512 * 1024) {
              reported = current;
              progress({ status: 'Downloading', id, progressDetail: { current, total: layer.size } });
            }
            cb(null, chunk);
          },
        });
        progress({ status: 'Downloading', id, progressDetail: { current: 0, total: layer.size } });
        await store.blobs.putStream(Readable.fromWeb(res.body! as never).pipe(counter), {
          expected: layer.digest,
          signal: opts.signal,
        });
        progress({ status: 'Verifying Checksum', id });
        progress({ status: 'Download complete', id });
      }
      progress({ status: 'Extracting', id });
      await store.layers.ensureFromBlob(layer, diffId, opts.signal);
      progress({ status: 'Pull complete', id });
    };
    const queue = [...todo];
    await Promise.all(
      Array.from({ length: Math.min(3, queue.length) }, async () => {
        for (let l = queue.shift(); l !== undefined; l = queue.shift()) await fetchLayer(l);
      }),
    );
    const configBytes = await store.blobs.get(m.config.digest);
    const img = await store.addImage(configBytes, {
      manifest: bytes,
      tags: ref.digest ? [] : [familiarString(ref)],
      repoDigests: [`${repositoryName(ref)}@${top.digest}`],
    });
    progress({ status: `Digest: ${top.digest}` });
    progress({
      status:
        previous === img.id
          ? `Status: Image is up to date for ${familiarString(ref)}`
          : `Status: Downloaded newer image for ${familiarString(ref)}`,
    });
    this.log.info({ ref: familiarString(ref), id: img.id }, 'pulled');
    return img;
  }

  private async fetchManifest(
    s: RegistrySession,
    reference: string,
    expected: string | undefined,
    signal?: AbortSignal,
  ): Promise<{ manifest: ImageManifest & Partial<ImageIndex>; bytes: Buffer; digest: string }> {
    const res = await s.request(`/v2/${s.repo}/manifests/${reference}`, {
      headers: { accept: MANIFEST_ACCEPT },
      signal,
      accept: [404],
    });
    if (res.status === 404) {
      await res.body?.cancel();
      throw new NotFoundError(
        `manifest for ${s.domain === 'docker.io' ? '' : `${s.domain}/`}${s.repo.replace(/^library\//, '')}:${reference} not found: manifest unknown`,
      );
    }
    const bytes = Buffer.from(await res.arrayBuffer());
    const digest = sha256(bytes);
    if (expected && expected !== digest)
      throw new RegistryError(`manifest digest mismatch: asked for ${expected}, got ${digest}`, 502, 'DIGEST_INVALID');
    const header = res.headers.get('docker-content-digest');
    if (!expected && header && header.startsWith('sha256:') && header !== digest) {
      throw new RegistryError(
        `manifest digest mismatch: the registry says ${header}, the content hashes to ${digest}`,
        502,
        'DIGEST_INVALID',
      );
    }
    const manifest = JSON.parse(bytes.toString('utf8')) as ImageManifest & Partial<ImageIndex>;
    if (!manifest.mediaType) manifest.mediaType = res.headers.get('content-type') ?? undefined;
    return { manifest, bytes, digest };
  }

  /** docker push NAME[:TAG]: blobs the registry lacks (HEAD check), then the manifest. */
  async push(refText: string, opts: PullOptions = {}): Promise<PushResult> {
    const store = this.opts.store;
    const ref = withDefaultTag(parseReference(refText));
    if (ref.digest) throw new InvalidArgumentError(`cannot push a digest reference (${refText}): push by tag`);
    const id = store.lookup(familiarString(ref));
    if (!id) throw new NotFoundError(`An image does not exist locally with the tag: ${familiarRepository(ref)}`);
    const progress = opts.onProgress ?? (() => undefined);
    progress({
      status: `The push refers to repository [${repositoryName(ref).replace(/^docker\.io\//, 'docker.io/')}]`,
    });
    const s = await this.session(ref, ['pull', 'push'], opts.auth);
    const { bytes, manifest, digest } = await store.manifest(id);
    // a repository of the same registry that already has the blobs lets us mount instead of upload
    const rec = await store.record(id);
    const mountFrom = rec.repoDigests
      .map((d) => parseReference(d))
      .find((r) => r.domain === ref.domain && r.path !== ref.path)?.path;
    for (const layer of [...manifest.layers].reverse()) {
      progress({ status: 'Preparing', id: shortId(layer.digest) });
    }
    for (const blob of [...manifest.layers, manifest.config]) {
      const sid = shortId(blob.digest);
      const head = await s.request(`/v2/${ref.path}/blobs/${blob.digest}`, {
        method: 'HEAD',
        accept: [404],
        signal: opts.signal,
      });
      if (head.status === 200) {
        if (blob !== manifest.config) progress({ status: 'Layer already exists', id: sid });
        continue;
      }
      if (blob !== manifest.config)
        progress({ status: 'Pushing', id: sid, progressDetail: { current: 0, total: blob.size } });
      const mounted = await this.uploadBlob(s, ref, blob.digest, blob.size, mountFrom, opts.signal);
      if (blob !== manifest.config) progress({ status: mounted ? `Mounted from ${mountFrom}` : 'Pushed', id: sid });
    }
    const mediaType = manifest.mediaType ?? MEDIA.ociManifest;
    const res = await s.request(`/v2/${ref.path}/manifests/${ref.tag}`, {
      method: 'PUT',
      headers: { 'content-type': mediaType },
      body: () => bytes,
      signal: opts.signal,
    });
    await res.body?.cancel();
    const said = res.headers.get('docker-content-digest');
    if (said && said !== digest)
      throw new RegistryError(`registry stored the manifest as ${said}, expected ${digest}`, 502, 'DIGEST_INVALID');
    await store.addRepoDigest(id, `${repositoryName(ref)}@${digest}`);
    progress({ status: `${ref.tag}: digest: ${digest} size: ${bytes.length}` });
    this.log.info({ ref: familiarString(ref), digest }, 'pushed');
    return { tag: ref.tag, digest, size: bytes.length };
  }

  /**
   * Cross-repository mount when `mountFrom` is given (201: done, returns true); otherwise, or when
   * the registry declines (202), a monolithic upload: one PUT with the whole blob and its digest.
   */
  private async uploadBlob(
    s: RegistrySession,
    ref: ImageReference,
    digest: string,
    size: number,
    mountFrom: string | undefined,
    signal?: AbortSignal,
  ): Promise<boolean> {
    const query = mountFrom ? `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(mountFrom)}` : '';
    const start = await s.request(`/v2/${ref.path}/blobs/uploads/${query}`, {
      method: 'POST',
      headers: { 'content-length': '0' },
      signal,
    });
    await start.body?.cancel();
    if (mountFrom && start.status === 201) return true;
    const location = start.headers.get('location');
    if (!location) throw new RegistryError(`${ref.domain} started an upload without a Location header`, 502);
    const url = new URL(location, s.baseUrl);
    url.searchParams.set('digest', digest);
    const path = this.opts.store.blobs.path(digest);
    const res = await s.request(url.toString(), {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body: () => Readable.toWeb(createReadStream(path)) as unknown as NonNullable<RequestInit['body']>,
      signal,
    });
    await res.body?.cancel();
    return false;
  }
}

function normalizeServer(server: string): string {
  const s = server.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  if (!s || s === 'index.docker.io' || s === 'registry-1.docker.io') return 'docker.io';
  return s;
}
