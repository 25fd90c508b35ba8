// The Dockerfile builder (docker's classic builder semantics): each instruction yields an image
// config; COPY/ADD/RUN also yield a layer. Steps are cached by parent + instruction + inputs.
// Only the final image is registered and tagged, so a failed build leaves no image behind.
import { readFile, rm } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { BuildError, EngineError } from '../errors';
import { shortId } from '../images/digest';
import type { ImageStore } from '../images/image-store';
import { familiarString, parseReference, withDefaultTag } from '../images/reference';
import type { BuildRunner, ContainerConfigSpec, ImageRecord } from '../images/types';
import { silentLogger, type Logger } from '../log';
import { BuildCache } from './cache';
import { applyConfigInstruction } from './config-apply';
import { BuildContext } from './context';
import { copyStep } from './copy-step';
import { ConfigInstructionError, SourceNotFoundError } from './errors';
import { fromStage, imageFor, type ImagePuller } from './from';
import { parseDockerfile, type Instruction } from './parser';
import { runStep } from './run-step';
import { splitWords, type Lookup } from './shell-lex';
import { envOf, splitArg, type Fail, type Stage, type StepEnv } from './stage';
import { stepCache } from './step-cache';

export type { ImagePuller } from './from';

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

export interface BuilderDeps {
  store: ImageStore;
  runner?: BuildRunner;
  pull?: ImagePuller;
  log?: Logger;
}

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
    const imageOf = (ref: string, p: (t: string) => void, signal: AbortSignal | undefined, fail: Fail) =>
      imageFor(this.deps.store, this.deps.pull, ref, p, signal, fail);
    try {
      for (const [n, inst] of df.instructions.entries()) {
        opts.signal?.throwIfAborted();
        if (inst.cmd === 'FROM' && target && stage?.name === target) break;
        progress(`Step ${n + 1}/${total} : ${inst.original}\n`);
        const fail: Fail = (msg, cause) => {
          throw new BuildError(msg, displayName, inst.line, { cause });
        };
        try {
          if (inst.cmd === 'FROM') {
            stage = await fromStage(inst, {
              escape: df.escape,
              metaArgs,
              stages,
              store: this.deps.store,
              image: (ref) => imageOf(ref, progress, opts.signal, fail),
              progress,
              fail,
            });
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
          const current = stage;
          const lookup: Lookup = (name) =>
            envOf(current.config.config?.Env, name) ?? (current.args.has(name) ? current.args.get(name) : undefined);
          const hit = await this.step(current, inst, {
            store: this.deps.store,
            runner: this.deps.runner,
            imageFor: imageOf,
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

  /** Run one non-FROM instruction in `stage`; returns true when it came from the cache. */
  private async step(stage: Stage, inst: Instruction, env: StepEnv): Promise<boolean> {
    const cfg: ContainerConfigSpec = structuredClone(stage.config.config ?? {});
    const cache = stepCache(this.cache, stage, cfg, env);
    switch (inst.cmd) {
      case 'ARG': {
        for (const w of splitWords(inst.rest, env.escape)) {
          const [k, v] = splitArg(w, env.escape, env.lookup);
          env.usedArgs.add(k);
          const val = env.buildArgs[k] ?? v ?? env.metaArgs.get(k);
          stage.args.set(k, val);
        }
        // ARG changes no config, but docker still makes a step; it only matters through RUN's env
        const key = cache.keyOf('ARG', inst.rest, [...stage.args.entries()]);
        if (await cache.tryCache(key)) return true;
        await cache.commit(key, `/bin/sh -c #(nop)  ARG ${inst.rest}`);
        return false;
      }
      case 'COPY':
      case 'ADD':
        return copyStep(stage, inst, cfg, env, cache);
      case 'RUN':
        return runStep(stage, inst, cfg, env, cache);
      case 'ONBUILD':
        return env.fail('ONBUILD is not supported by flotilla yet');
      default: {
        if (!applyConfigInstruction(cfg, inst, env.lookup, env.escape)) env.fail(`unknown instruction: ${inst.cmd}`);
        if (inst.cmd === 'ENTRYPOINT' && stage.config.config?.Cmd && !stage.cmdSet) cfg.Cmd = null;
        if (inst.cmd === 'CMD') stage.cmdSet = true;
        const key = cache.keyOf(inst.cmd, cfg);
        if (await cache.tryCache(key)) return true;
        await cache.commit(key, `/bin/sh -c #(nop)  ${inst.original.replace(/^\S+/, (w) => w.toUpperCase())}`);
        return false;
      }
    }
  }
}
