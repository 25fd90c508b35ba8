// COPY and ADD: sources from the build context (content-hashed for the cache key) or, with --from,
// from another stage or image (its layer chain is the key); staged into a directory that becomes
// the step's layer.
import { mkdir } from 'node:fs/promises';
import { sha256 } from '../images/digest';
import type { ContainerConfigSpec, ImageRecord } from '../images/types';
import { normalizeAbs } from './config-apply';
import { BuildContext } from './context';
import { copySources } from './copy';
import type { Instruction } from './parser';
import { RootfsView } from './rootfs-view';
import { expandWord, expandWords } from './shell-lex';
import type { Stage, StepCache, StepEnv } from './stage';
import { mergedView } from './stage-view';

/** Where the sources go and how, as the instruction and the stage's WORKDIR say. */
interface CopyTarget {
  srcs: string[];
  destPath: string;
  destIsDir: boolean;
  chown: string;
}

/** Returns true when the step came from the cache. */
export async function copyStep(
  stage: Stage,
  inst: Instruction,
  cfg: ContainerConfigSpec,
  env: StepEnv,
  cache: StepCache,
): Promise<boolean> {
  const store = env.store;
  const words = inst.json
    ? inst.json.map((w) => expandWord(w, env.lookup, env.escape))
    : expandWords(inst.rest, env.lookup, env.escape);
  const rawDest = words.at(-1);
  // the parser checked for two words, but they may expand to none
  if (rawDest === undefined) return env.fail(`${inst.cmd} requires at least two arguments: the destination is empty`);
  const srcs = words.slice(0, -1);
  if (srcs.some((s) => /^https?:\/\//.test(s))) {
    env.fail(
      `${inst.cmd} from a URL is not supported by flotilla yet: download the file into the build context and ${inst.cmd} it from there`,
    );
  }
  const workdir = cfg.WorkingDir || '/';
  const target: CopyTarget = {
    srcs,
    destPath: normalizeAbs(rawDest.startsWith('/') ? rawDest : `${workdir}/${rawDest}`),
    destIsDir: rawDest.endsWith('/') || rawDest === '.' || rawDest.endsWith('/.'),
    chown: inst.flags.chown ?? '',
  };
  const { destPath, destIsDir, chown } = target;
  if (inst.flags.from) {
    if (inst.cmd === 'ADD') env.fail('ADD does not support --from: use COPY --from');
    const from = inst.flags.from.toLowerCase();
    const byIndex = /^\d+$/.test(from) ? env.stages[Number(from)] : undefined;
    const src = byIndex ?? env.stages.find((s) => s.name === from);
    if (src === stage) env.fail(`circular dependency detected on stage: ${from}`);
    const diffIds = src
      ? src.config.rootfs.diff_ids
      : (await store.config(await env.imageFor(inst.flags.from, env.progress, env.signal, env.fail))).rootfs.diff_ids;
    // the source stage's layer chain pins its content, so it keys the cache without reading files
    const contentHash = sha256(JSON.stringify(diffIds)).slice(7);
    const key = cache.keyOf(inst.cmd, 'from', contentHash, srcs, destPath, destIsDir, chown);
    if (await cache.tryCache(key)) return true;
    const mount = store.tempPath('from');
    env.temps.push(mount);
    const view = await mergedView(await store.layerDirs({ diffIds } as ImageRecord), mount);
    try {
      return await copyInto(stage, inst, BuildContext.forDir(view.dir), target, contentHash, key, env, cache);
    } finally {
      await view.release();
    }
  }
  const contentHash = await env.ctx.hash(await env.ctx.resolve(srcs));
  const key = cache.keyOf(inst.cmd, contentHash, destPath, destIsDir, chown, srcs.length);
  if (await cache.tryCache(key)) return true;
  return copyInto(stage, inst, env.ctx, target, contentHash, key, env, cache);
}

async function copyInto(
  stage: Stage,
  inst: Instruction,
  ctx: BuildContext,
  { srcs, destPath, destIsDir, chown }: CopyTarget,
  contentHash: string,
  key: string,
  env: StepEnv,
  cache: StepCache,
): Promise<boolean> {
  const store = env.store;
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
  await cache.commit(
    key,
    `/bin/sh -c #(nop) ${inst.cmd} ${inst.cmd === 'ADD' ? 'file' : 'dir'}:${contentHash} in ${destPath} `,
    layer,
  );
  return false;
}
