// Adapts the image store, builder, image transfer (import) and registry modules to the API's ImageBackend.
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { x as untar } from 'tar';
import type { BuildRequest, ImageBackend, ProgressSink, RegistryAuth } from '../api/backend';
import { importRootfs } from '../transfer/import';
import { Builder } from '../builder/builder';
import { InvalidArgumentError } from '../errors';
import type { ImageStore } from '../images/image-store';
import type { BuildRunner } from '../images/types';
import type { Logger } from '../log';
import type { DataPaths } from '../paths';

/** The parts that land separately (registry client, docker save/load): optional until wired. */
export interface ImageExtras {
  pull?(
    ref: string,
    auth: RegistryAuth | undefined,
    onProgress: (msg: Record<string, unknown>) => void,
    signal?: AbortSignal,
  ): Promise<void>;
  push?(
    ref: string,
    auth: RegistryAuth | undefined,
    onProgress: (msg: Record<string, unknown>) => void,
    signal?: AbortSignal,
  ): Promise<void>;
  login?(auth: RegistryAuth, signal?: AbortSignal): Promise<{ Status: string; IdentityToken?: string }>;
  save?(refs: string[], signal?: AbortSignal): Promise<Readable>;
  load?(tar: Readable, signal?: AbortSignal): Promise<string[]>;
}

export function imageBackend(
  store: ImageStore,
  paths: DataPaths,
  runner: BuildRunner | undefined,
  extras: ImageExtras,
  opts: { builderLog?: Logger } = {},
): ImageBackend {
  const builder = new Builder({
    store,
    runner,
    log: opts.builderLog,
    pull: extras.pull
      ? async (ref, opts) => {
          await extras.pull!(
            ref,
            undefined,
            (m) => {
              if (typeof m.status === 'string') opts.onProgress?.(`${m.id ? `${String(m.id)}: ` : ''}${m.status}\n`);
            },
            opts.signal,
          );
          return store.resolve(ref);
        }
      : undefined,
  });
  const unsupported = (what: string) =>
    new InvalidArgumentError(`${what} is not available in this build of the flotilla engine`);

  return {
    async list({ all, filters }) {
      void all;
      return (await store.summaries({
        filters: filters
          ? {
              reference: filters.reference,
              label: filters.label,
              dangling: filters.dangling ? filters.dangling[0] === 'true' || filters.dangling[0] === '1' : undefined,
            }
          : undefined,
      })) as unknown as Awaited<ReturnType<ImageBackend['list']>>;
    },
    async prune({ all }) {
      return store.prune({ all });
    },
    async inspect(ref) {
      return (await store.inspect(ref)) as unknown as Record<string, unknown>;
    },
    async history(ref) {
      return (await store.history(ref)) as unknown as Record<string, unknown>[];
    },
    async tag(ref, repo, tag) {
      await store.tag(ref, `${repo}:${tag}`);
    },
    async remove(ref, { force }) {
      return (await store.remove(ref, { force })) as { Untagged?: string; Deleted?: string }[];
    },
    async import(tar, repoTag, { changes, message, signal }) {
      const rec = await importRootfs(store, tar, { tag: repoTag, changes, message, source: '-', signal });
      return rec.id;
    },
    async pull(ref, auth, progress: ProgressSink, { signal }) {
      if (!extras.pull) throw unsupported('pull');
      await extras.pull(ref, auth, progress, signal);
    },
    async push(ref, auth, progress, { signal }) {
      if (!extras.push) throw unsupported('push');
      await extras.push(ref, auth, progress, signal);
    },
    async login(auth, { signal }) {
      if (!extras.login) throw unsupported('login');
      return extras.login(auth, signal);
    },
    async save(refs, { signal }) {
      if (!extras.save) throw unsupported('save');
      return extras.save(refs, signal);
    },
    async load(tar, { signal }) {
      if (!extras.load) throw unsupported('load');
      return extras.load(tar, signal);
    },
    async build(req: BuildRequest, progress) {
      // The builder reads a directory: unpack the client's context tar into a private temp dir.
      const dir = join(paths.tmp, `build-${randomBytes(6).toString('hex')}`);
      await mkdir(dir, { recursive: true });
      try {
        await pipeline(req.context, untar({ cwd: dir, preserveOwner: false, noMtime: false }), { signal: req.signal });
        const result = await builder.build({
          contextDir: dir,
          dockerfile: req.dockerfile,
          tags: req.tags,
          buildArgs: req.buildArgs,
          noCache: req.noCache,
          labels: req.labels,
          ...(req.target ? { target: req.target } : {}),
          onProgress: (text) => progress({ stream: text }),
          signal: req.signal,
        });
        return { id: result.id };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
