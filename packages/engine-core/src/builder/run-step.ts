// RUN: the command runs in a throwaway container over the stage's layers (the build runner, runc);
// what it writes to the overlay upper directory becomes the step's layer.
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import type { ContainerConfigSpec, ImageRecord } from '../images/types';
import { shellArgs } from './config-apply';
import { ensureDirs } from './copy';
import type { Instruction } from './parser';
import { RootfsView } from './rootfs-view';
import { envOf, type Stage, type StepCache, type StepEnv } from './stage';

/** Returns true when the step came from the cache. */
export async function runStep(
  stage: Stage,
  inst: Instruction,
  cfg: ContainerConfigSpec,
  env: StepEnv,
  cache: StepCache,
): Promise<boolean> {
  const store = env.store;
  const args = inst.json ?? shellArgs(cfg, inst.rest);
  // build args reach RUN as environment (ENV wins), and a changed value invalidates the cache
  const argEnv: string[] = [];
  for (const [k, v] of stage.args) if (v !== undefined && envOf(cfg.Env, k) === undefined) argEnv.push(`${k}=${v}`);
  const key = cache.keyOf('RUN', args, argEnv, cfg.Env, cfg.User, cfg.WorkingDir);
  if (await cache.tryCache(key)) return true;
  const runner = env.runner;
  if (!runner) return env.fail('RUN is not available: this engine has no build runner (runc) configured');
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
  const { exitCode } = await runner.run({
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
  await cache.commit(key, inst.json ? JSON.stringify(args) : args.join(' '), layer);
  return false;
}
