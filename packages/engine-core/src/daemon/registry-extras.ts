// Wires pull/push/login (registry/) and docker save/load (transfer/) into the image backend.
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { loadImages } from '../transfer/load';
import { saveImages } from '../transfer/save';
import type { ImageStore } from '../images/image-store';
import type { Logger } from '../log';
import type { DataPaths } from '../paths';
import { RegistryClient } from '../registry/client';
import { CredentialStore } from '../registry/credentials';
import type { ImageExtras } from './images-backend';

export function registryExtras(
  store: ImageStore,
  paths: DataPaths,
  opts: { insecureRegistries?: string[]; log?: Logger } = {},
): ImageExtras & { client: RegistryClient } {
  const client = new RegistryClient({
    store,
    credentials: new CredentialStore(join(paths.root, 'credentials.json')),
    insecureRegistries: opts.insecureRegistries,
    log: opts.log,
  });
  return {
    client,
    async pull(ref, auth, onProgress, signal) {
      await client.pull(ref, { auth, onProgress: (ev) => onProgress({ ...ev }), signal });
    },
    async push(ref, auth, onProgress, signal) {
      const r = await client.push(ref, { auth, onProgress: (ev) => onProgress({ ...ev }), signal });
      onProgress({ progressDetail: {}, aux: { Tag: r.tag, Digest: r.digest, Size: r.size } });
    },
    async login(auth, signal) {
      return client.login(auth.serveraddress ?? '', auth, { signal });
    },
    async save(refs, signal) {
      // Resolve every reference first so a missing image is a 404, not a truncated tar.
      for (const r of refs) await store.resolve(r);
      const out = new PassThrough();
      saveImages(store, refs, out, { signal }).then(
        () => out.end(),
        (e: unknown) => out.destroy(e instanceof Error ? e : new Error(String(e))),
      );
      return out;
    },
    async load(tar, signal) {
      const r = await loadImages(store, tar, { signal });
      return r.messages;
    },
  };
}
