// The Dockerfile builder (docker's classic builder semantics): each instruction yields an image
// config; COPY/ADD/RUN also yield a layer. Steps are cached by parent + instruction + inputs.
// Only the final image is registered and tagged, so a failed build leaves no image behind.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { BuildError, EngineError } from '../errors';
import { sha256, shortId } from '../images/digest';
import type { ImageStore } from '../images/image-store';
import type { LayerMeta } from '../images/layer-store';
import type { ImageConfig } from '../images/oci';
import { familiarString, parseReference, withDefaultTag } from '../images/reference';
import type { BuildRunner, ContainerConfigSpec, ImageRecord } from '../images/types';
import { silentLogger, type Logger } from '../log';
import { BuildCache } from './cache';
import { applyConfigInstruction, normalizeAbs, shellArgs } from './config-apply';
import { BuildContext } from './context';
import { ConfigInstructionError, SourceNotFoundError } from './errors';
import { copySources, ensureDirs } from './copy';
import { parseDockerfile, type Instruction } from './parser';
import { mergedView } from './stage-view';
import { RootfsView } from './rootfs-view';
import { expandWord, expandWords, splitWords, type Lookup } from './shell-lex';

export interface BuildOptions {
  /** The build context directory (the API route unpacks the client's context tar into one). */
  contextDir: string;
  /** Dockerfile path, relative to the context or absolute (docker build -f). Default "Dockerfile". */
  dockerfile?: string;
  /** Dockerfile text, instead of reading `dockerfile`. */
  dockerfileContent?: string;
  /** -t, several allowed. */
  tags?: string[];
  buildArgs?: Record<string, string>;
  noCache?: boolean;
  /** --label: added to the final image. */
  labels?: Record<string, string>;
  /** --target: stop after this stage (multi-stage builds); default the last stage. */
  target?: string;
  /** Docker-style progress text ("Step 1/7 : FROM scratch\n", " ---> Using cache\n", RUN output). */
  onProgress?: (text: string) => void;
  signal?: AbortSignal;
}

export interface BuildResult {
  id: string;
  image: ImageRecord;
  tags: string[];
  totalSteps: number;
  /** Steps answered from the layer cache (FROM not counted). */
  cachedSteps: number;
}

/** Gets a base image that is not in the local store (normally RegistryClient.pull). */
export type ImagePuller = (
  ref: string,
  opts: { onProgress?: (text: string) => void; signal?: AbortSignal },
) => Promise<ImageRecord>;

export interface BuilderDeps {
  store: ImageStore;
  runner?: BuildRunner;
  pull?: ImagePuller;
  log?: Logger;
}

interface Stage {
  config: ImageConfig;
  /** Config digest of the image so far; undefined right after FROM scratch. */
  id?: string;
  args: Map<string, string | undefined>;
  /** CMD was set in this build (so a later ENTRYPOINT keeps it; an inherited CMD is reset). */
  cmdSet: boolean;
  /** `FROM ... AS name`, lowercased. */
  name?: string;
}

const SCRATCH_CONFIG = (): ImageConfig => ({
  architecture: 'amd64',
  os: 'linux',
  config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
  rootfs: { type: 'layers', diff_ids: [] },
  history: [],
});

export class Builder {
  private readonly cache: BuildCache;
  private readonly log: Logger;
  constructor(private readonly deps: BuilderDeps) {
    this.cache = new BuildCache(deps.store.root);
    this.log = deps.log ?? silentLogger;
  }

  async build(opts: BuildOptions): Promise<BuildResult> {
    const dfName = opts.dockerfile ?? 'Dockerfile';
    const dfPath = isAbsolute(dfName) ? dfName : join(opts.contextDir, dfName);
    let text = opts.dockerfileContent;
    if (text === undefined) {
      try {
        text = await readFile(dfPath, 'utf8');
      } catch {
        throw new BuildError(`Cannot locate specified Dockerfile: ${dfName}`);
      }
    }
    const displayName = opts.dockerfile ? (dfName.split('/').pop() ?? dfName) : 'Dockerfile';
    const df = parseDockerfile(text, displayName);
    const tags = (opts.tags ?? []).map((t) => {
      const r = parseReference(t);
      if (r.digest) throw new BuildError(`invalid tag ${JSON.stringify(t)}: a tag cannot contain a digest`);
      return familiarString(withDefaultTag(r));
    });
    if (df.instructions.length === 0) throw new BuildError('the Dockerfile (Dockerfile) cannot be empty', displayName);
    const first = df.instructions.find((i) => i.cmd !== 'ARG');
    if (first?.cmd !== 'FROM') {
      throw new BuildError(
        'no build stage in current context: the first instruction must be FROM (ARG may come before it)',
        displayName,
        first?.line,
      );
    }
    const progress = opts.onProgress ?? (() => undefined);
    await this.cache.load();
    const ctx = await BuildContext.open(opts.contextDir);
    const buildArgs = opts.buildArgs ?? {};
    const usedArgs = new Set<string>();
    // BuildKit's automatic platform args, which many Dockerfiles use in FROM --platform=...
    const metaArgs = new Map<string, string | undefined>(
      Object.entries({
        TARGETPLATFORM: 'linux/amd64',
        TARGETOS: 'linux',
        TARGETARCH: 'amd64',
        BUILDPLATFORM: 'linux/amd64',
        BUILDOS: 'linux',
        BUILDARCH: 'amd64',
      }),
    );
    const total = df.instructions.length;
    let stage: Stage | undefined;
    const stages: Stage[] = [];
    const target = opts.target?.toLowerCase();
    let cached = 0;
    const temps: string[] = [];
    try {
      for (let n = 0; n < total; n++) {
        opts.signal?.throwIfAborted();
        const inst = df.instructions[n];
        if (inst.cmd === 'FROM' && target && stage?.name === target) break;
        progress(`Step ${n + 1}/${total} : ${inst.original}\n`);
        const fail = (msg: string, cause?: unknown): never => {
          throw new BuildError(msg, displayName, inst.line, { cause });
        };
        try {
          if (inst.cmd === 'FROM') {
            stage = await this.from(inst, df.escape, metaArgs, stages, progress, opts.signal, fail);
            stages.push(stage);
            continue;
          }
          if (!stage) {
            if (inst.cmd !== 'ARG') fail('no build stage in current context');
            for (const w of splitWords(inst.rest, df.escape)) {
              const [k, v] = splitArg(w, df.escape, (x) => metaArgs.get(x));
              usedArgs.add(k);
              metaArgs.set(k, buildArgs[k] ?? v);
            }
            progress(' ---> \n');
            continue;
          }
          const lookup: Lookup = (name) =>
            envOf(stage!.config.config?.Env, name) ?? (stage!.args.has(name) ? stage!.args.get(name) : undefined);
          const hit = await this.step(stage, inst, {
            ctx,
            stages,
            escape: df.escape,
            lookup,
            buildArgs,
            usedArgs,
            metaArgs,
            noCache: !!opts.noCache,
            progress,
            temps,
            signal: opts.signal,
            fail,
          });
          if (hit) cached++;
          progress(` ---> ${shortId(stage.id ?? '')}\n`);
        } catch (e) {
          if (e instanceof BuildError || (e instanceof EngineError && e.status !== 400)) throw e;
          if (e instanceof ConfigInstructionError || e instanceof SourceNotFoundError || e instanceof EngineError)
            fail(e.message, e);
          throw e;
        }
      }
    } finally {
      for (const t of temps) await rm(t, { recursive: true, force: true });
      await this.cache.flush();
    }
    if (target && stage?.name !== target)
      throw new BuildError(`failed to reach build target ${opts.target} in Dockerfile`, displayName);
    if (!stage?.id) throw new BuildError('No image was generated. Is your Dockerfile empty?', displayName);
    const unused = Object.keys(buildArgs).filter((a) => !usedArgs.has(a));
    if (unused.length) progress(`[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n`);
    let finalId = stage.id;
    if (opts.labels && Object.keys(opts.labels).length) {
      const c = structuredClone(stage.config);
      c.config = { ...(c.config ?? {}), Labels: { ...(c.config?.Labels ?? {}), ...opts.labels } };
      finalId = (await this.deps.store.blobs.putBuffer(Buffer.from(JSON.stringify(c)))).digest;
    }
    const image = await this.deps.store.addImage(await this.deps.store.blobs.get(finalId), {
      tags,
      parent: stage.config.parent,
    });
    progress(`Successfully built ${shortId(image.id)}\n`);
    for (const t of tags) progress(`Successfully tagged ${t}\n`);
    this.log.info({ id: image.id, tags, cached, total }, 'build finished');
    return {
      id: image.id,
      image: await this.deps.store.record(image.id),
      tags,
      totalSteps: total,
      cachedSteps: cached,
    };
  }

  private async from(
    inst: Instruction,
    escape: string,
    metaArgs: Map<string, string | undefined>,
    stages: Stage[],
    progress: (t: string) => void,
    signal: AbortSignal | undefined,
    fail: (m: string, c?: unknown) => never,
  ): Promise<Stage> {
    const words = splitWords(inst.rest, escape);
    if (words.length !== 1 && !(words.length === 3 && words[1].toLowerCase() === 'as'))
      fail('FROM requires either one or three arguments');
    const ref = expandWord(words[0], (n) => metaArgs.get(n), escape);
    const name = words.length === 3 ? words[2].toLowerCase() : undefined;
    if (name && stages.some((s) => s.name === name)) fail(`duplicate stage name ${JSON.stringify(name)}`);
    const platform = inst.flags.platform ? expandWord(inst.flags.platform, (n) => metaArgs.get(n), escape) : undefined;
    if (platform && !/^linux\/amd64/.test(platform))
      fail(`platform ${platform} is not supported: only linux/amd64 images can be built here`);
    const args = new Map<string, string | undefined>();
    if (ref === 'scratch') return { config: SCRATCH_CONFIG(), id: undefined, args, cmdSet: false, name };
    const parentStage = stages.find((s) => s.name === ref.toLowerCase());
    if (parentStage) {
      if (parentStage.id) progress(` ---> ${shortId(parentStage.id)}\n`);
      return { config: structuredClone(parentStage.config), id: parentStage.id, args, cmdSet: false, name };
    }
    const id = await this.imageFor(ref, progress, signal, fail);
    const config = structuredClone(await this.deps.store.config(id));
    progress(` ---> ${shortId(id)}\n`);
    return { config, id, args, cmdSet: false, name };
  }

  /** A local image ID for `ref`, pulling it when it is not in the store. */
  private async imageFor(
    ref: string,
    progress: (t: string) => void,
    signal: AbortSignal | undefined,
    fail: (m: string, c?: unknown) => never,
  ): Promise<string> {
    const store = this.deps.store;
    let id = store.lookup(ref);
    if (!id) {
      if (!this.deps.pull)
        fail(`pull access denied for ${ref}: the image is not in the local store and no registry client is configured`);
      try {
        id = (await this.deps.pull!(ref, { onProgress: progress, signal })).id;
      } catch (e) {
        fail(e instanceof Error ? e.message : String(e), e);
      }
    }
    return id!;
  }

  /** Run one non-FROM instruction in `stage`; returns true when it came from the cache. */
  private async step(
    stage: Stage,
    inst: Instruction,
    env: {
      ctx: BuildContext;
      stages: Stage[];
      escape: string;
      lookup: Lookup;
      buildArgs: Record<string, string>;
      usedArgs: Set<string>;
      metaArgs: Map<string, string | undefined>;
      noCache: boolean;
      progress: (t: string) => void;
      temps: string[];
      signal?: AbortSignal;
      fail: (m: string, c?: unknown) => never;
    },
  ): Promise<boolean> {
    const store = this.deps.store;
    const cfg: ContainerConfigSpec = structuredClone(stage.config.config ?? {});
    const parentKey = stage.id ?? 'scratch';
    const tryCache = async (key: string): Promise<boolean> => {
      if (env.noCache) return false;
      const digest = this.cache.get(key);
      if (!digest || !(await store.blobs.has(digest))) return false;
      const c = await store.config(digest);
      for (const d of c.rootfs.diff_ids) if (!(await store.layers.has(d))) return false;
      stage.config = structuredClone(c);
      stage.id = digest;
      env.progress(' ---> Using cache\n');
      return true;
    };
    const commit = async (
      key: string,
      createdBy: string,
      layer?: LayerMeta,
      newCfg: ContainerConfigSpec = cfg,
    ): Promise<void> => {
      const next: ImageConfig = {
        ...structuredClone(stage.config),
        created: new Date().toISOString(),
        config: newCfg,
        parent: stage.id,
      };
      if (!next.parent) delete next.parent;
      next.rootfs = { type: 'layers', diff_ids: [...stage.config.rootfs.diff_ids, ...(layer ? [layer.diffId] : [])] };
      next.history = [
        ...(stage.config.history ?? []),
        { created: next.created, created_by: createdBy, ...(layer ? {} : { empty_layer: true }) },
      ];
      const { digest } = await store.blobs.putBuffer(Buffer.from(JSON.stringify(next)));
      this.cache.set(key, digest);
      stage.config = next;
      stage.id = digest;
    };
    const keyOf = (...parts: unknown[]): string => sha256(JSON.stringify([parentKey, ...parts]));

    switch (inst.cmd) {
      case 'ARG': {
        for (const w of splitWords(inst.rest, env.escape)) {
          const [k, v] = splitArg(w, env.escape, env.lookup);
          env.usedArgs.add(k);
          const val = env.buildArgs[k] ?? v ?? env.metaArgs.get(k);
          stage.args.set(k, val);
        }
        // ARG changes no config, but docker still makes a step; it only matters through RUN's env
        const key = keyOf('ARG', inst.rest, [...stage.args.entries()]);
        if (await tryCache(key)) return true;
        await commit(key, `/bin/sh -c #(nop)  ARG ${inst.rest}`);
        return false;
      }
      case 'COPY':
      case 'ADD':
        return this.copyStep(stage, inst, cfg, env, tryCache, commit, keyOf);
      case 'RUN':
        return this.runStep(stage, inst, cfg, env, tryCache, commit, keyOf);
      case 'ONBUILD':
        return env.fail('ONBUILD is not supported by flotilla yet');
      default: {
        if (!applyConfigInstruction(cfg, inst, env.lookup, env.escape)) env.fail(`unknown instruction: ${inst.cmd}`);
        if (inst.cmd === 'ENTRYPOINT' && stage.config.config?.Cmd && !stage.cmdSet) cfg.Cmd = null;
        if (inst.cmd === 'CMD') stage.cmdSet = true;
        const key = keyOf(inst.cmd, cfg);
        if (await tryCache(key)) return true;
        await commit(key, `/bin/sh -c #(nop)  ${inst.original.replace(/^\S+/, (w) => w.toUpperCase())}`);
        return false;
      }
    }
  }

  private async copyStep(
    stage: Stage,
    inst: Instruction,
    cfg: ContainerConfigSpec,
    env: Parameters<Builder['step']>[2],
    tryCache: (k: string) => Promise<boolean>,
    commit: (k: string, by: string, layer?: LayerMeta) => Promise<void>,
    keyOf: (...p: unknown[]) => string,
  ): Promise<boolean> {
    const store = this.deps.store;
    const words = inst.json
      ? inst.json.map((w) => expandWord(w, env.lookup, env.escape))
      : expandWords(inst.rest, env.lookup, env.escape);
    const rawDest = words[words.length - 1];
    const srcs = words.slice(0, -1);
    if (srcs.some((s) => /^https?:\/\//.test(s))) {
      env.fail(
        `${inst.cmd} from a URL is not supported by flotilla yet: download the file into the build context and ${inst.cmd} it from there`,
      );
    }
    const workdir = cfg.WorkingDir || '/';
    const destPath = normalizeAbs(rawDest.startsWith('/') ? rawDest : `${workdir}/${rawDest}`);
    const destIsDir = rawDest.endsWith('/') || rawDest === '.' || rawDest.endsWith('/.');
    const chown = inst.flags.chown ?? '';
    let ctx = env.ctx;
    let release: (() => Promise<void>) | undefined;
    let key: string;
    let contentHash: string;
    if (inst.flags.from) {
      if (inst.cmd === 'ADD') env.fail('ADD does not support --from: use COPY --from');
      const from = inst.flags.from.toLowerCase();
      const byIndex = /^\d+$/.test(from) ? env.stages[Number(from)] : undefined;
      const src = byIndex ?? env.stages.find((s) => s.name === from);
      if (src === stage) env.fail(`circular dependency detected on stage: ${from}`);
      const diffIds = src
        ? src.config.rootfs.diff_ids
        : (await store.config(await this.imageFor(inst.flags.from, env.progress, env.signal, env.fail))).rootfs
            .diff_ids;
      // the source stage's layer chain pins its content, so it keys the cache without reading files
      contentHash = sha256(JSON.stringify(diffIds)).slice(7);
      key = keyOf(inst.cmd, 'from', contentHash, srcs, destPath, destIsDir, chown);
      if (await tryCache(key)) return true;
      const mount = store.tempPath('from');
      env.temps.push(mount);
      const view = await mergedView(await store.layerDirs({ diffIds } as ImageRecord), mount);
      release = view.release;
      ctx = BuildContext.forDir(view.dir);
    } else {
      const sources = await ctx.resolve(srcs);
      contentHash = await ctx.hash(sources);
      key = keyOf(inst.cmd, contentHash, destPath, destIsDir, chown, srcs.length);
      if (await tryCache(key)) return true;
    }
    try {
      return await this.copyInto(stage, inst, ctx, srcs, destPath, destIsDir, chown, contentHash, key, env, commit);
    } finally {
      await release?.();
    }
  }

  private async copyInto(
    stage: Stage,
    inst: Instruction,
    ctx: BuildContext,
    srcs: string[],
    destPath: string,
    destIsDir: boolean,
    chown: string,
    contentHash: string,
    key: string,
    env: Parameters<Builder['step']>[2],
    commit: (k: string, by: string, layer?: LayerMeta) => Promise<void>,
  ): Promise<boolean> {
    const store = this.deps.store;
    const sources = await ctx.resolve(srcs);
    const view = new RootfsView(await store.layerDirs({ diffIds: stage.config.rootfs.diff_ids } as ImageRecord));
    let owner = { uid: 0, gid: 0 };
    if (chown) {
      try {
        owner = await view.resolveUser(chown);
      } catch (e) {
        env.fail((e as Error).message, e);
      }
    }
    const staging = store.tempPath('copy');
    env.temps.push(staging);
    await mkdir(staging, { recursive: true });
    await copySources({ ctx, sources, staging, destPath, destIsDir, view, owner, extractArchives: inst.cmd === 'ADD' });
    const layer = await store.layers.createFromDir(staging);
    await commit(
      key,
      `/bin/sh -c #(nop) ${inst.cmd} ${inst.cmd === 'ADD' ? 'file' : 'dir'}:${contentHash} in ${destPath} `,
      layer,
    );
    return false;
  }

  private async runStep(
    stage: Stage,
    inst: Instruction,
    cfg: ContainerConfigSpec,
    env: Parameters<Builder['step']>[2],
    tryCache: (k: string) => Promise<boolean>,
    commit: (k: string, by: string, layer?: LayerMeta) => Promise<void>,
    keyOf: (...p: unknown[]) => string,
  ): Promise<boolean> {
    const store = this.deps.store;
    const args = inst.json ?? shellArgs(cfg, inst.rest);
    // build args reach RUN as environment (ENV wins), and a changed value invalidates the cache
    const argEnv: string[] = [];
    for (const [k, v] of stage.args) if (v !== undefined && envOf(cfg.Env, k) === undefined) argEnv.push(`${k}=${v}`);
    const key = keyOf('RUN', args, argEnv, cfg.Env, cfg.User, cfg.WorkingDir);
    if (await tryCache(key)) return true;
    const runner = this.deps.runner;
    if (!runner) env.fail('RUN is not available: this engine has no build runner (runc) configured');
    const layerDirs = await store.layerDirs({ diffIds: stage.config.rootfs.diff_ids } as ImageRecord);
    const upper = store.tempPath('run-upper');
    const work = store.tempPath('run-work');
    env.temps.push(upper, work);
    await mkdir(upper, { recursive: true });
    await mkdir(work, { recursive: true });
    const cwd = cfg.WorkingDir || '/';
    // docker creates a missing WORKDIR for RUN; an existing one must not be copied into the layer
    const view = new RootfsView(layerDirs);
    if (cwd !== '/' && !(await view.stat(cwd))) await ensureDirs(upper, cwd, view);
    const hostname = randomBytes(6).toString('hex');
    env.progress(` ---> Running in ${hostname}\n`);
    const { exitCode } = await runner!.run({
      layerDirs,
      upperDir: upper,
      workDir: work,
      args,
      env: [...(cfg.Env ?? []), ...argEnv],
      cwd,
      user: cfg.User || '0',
      hostname,
      onOutput: (chunk) => env.progress(chunk.toString('utf8')),
      signal: env.signal,
    });
    if (exitCode !== 0) {
      env.fail(`The command '${args.join(' ')}' returned a non-zero code: ${exitCode}`);
    }
    await rm(work, { recursive: true, force: true });
    const layer = await store.layers.createFromDir(upper, { overlayUpper: true });
    env.progress(` ---> Removed intermediate container ${hostname}\n`);
    await commit(key, inst.json ? JSON.stringify(args) : args.join(' '), layer);
    return false;
  }
}

function envOf(env: string[] | undefined, name: string): string | undefined {
  for (const e of env ?? []) {
    const eq = e.indexOf('=');
    if (e.slice(0, eq) === name) return e.slice(eq + 1);
  }
  return undefined;
}

function splitArg(word: string, escape: string, lookup: Lookup): [string, string | undefined] {
  const eq = word.indexOf('=');
  if (eq < 0) return [word, undefined];
  return [word.slice(0, eq), expandWord(word.slice(eq + 1), lookup, escape)];
}
