// A build stage as the builder walks it (the image config so far, its ID, its ARGs), what every
// step gets to work with, and the small lookups over a stage's config.
import type { ImageStore } from '../images/image-store';
import type { LayerMeta } from '../images/layer-store';
import type { ImageConfig } from '../images/oci';
import type { BuildRunner, ContainerConfigSpec } from '../images/types';
import type { BuildContext } from './context';
import { expandWord, type Lookup } from './shell-lex';

export interface Stage {
  config: ImageConfig;
  /** Config digest of the image so far; undefined right after FROM scratch. */
  id?: string;
  args: Map<string, string | undefined>;
  /** CMD was set in this build (so a later ENTRYPOINT keeps it; an inherited CMD is reset). */
  cmdSet: boolean;
  /** `FROM ... AS name`, lowercased. */
  name?: string;
}

/** Throws the BuildError that names the instruction's Dockerfile line. */
export type Fail = (message: string, cause?: unknown) => never;

/** A local image ID for a reference, pulling it when it is not in the store. */
export type ImageFor = (
  ref: string,
  progress: (t: string) => void,
  signal: AbortSignal | undefined,
  fail: Fail,
) => Promise<string>;

/** What a step sees of the build around it. */
export interface StepEnv {
  store: ImageStore;
  runner?: BuildRunner;
  imageFor: ImageFor;
  ctx: BuildContext;
  stages: Stage[];
  escape: string;
  lookup: Lookup;
  buildArgs: Record<string, string>;
  usedArgs: Set<string>;
  metaArgs: Map<string, string | undefined>;
  noCache: boolean;
  progress: (t: string) => void;
  /** Temp dirs removed when the build ends, however it ends. */
  temps: string[];
  signal?: AbortSignal;
  fail: Fail;
}

/** The layer cache as one step uses it (step-cache.ts). */
export interface StepCache {
  /** The cache key of this step: the parent image and the step's inputs. */
  keyOf(...parts: unknown[]): string;
  /** Take the step's result from the cache; false on a miss or with --no-cache. */
  tryCache(key: string): Promise<boolean>;
  /** Make the step's image config (with its layer, if any), advance the stage and remember it under `key`. */
  commit(key: string, createdBy: string, layer?: LayerMeta, newCfg?: ContainerConfigSpec): Promise<void>;
}

export const scratchConfig = (): ImageConfig => ({
  architecture: 'amd64',
  os: 'linux',
  config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
  rootfs: { type: 'layers', diff_ids: [] },
  history: [],
});

/** The value of `name` in an Env list ("K=V" items), if set. */
export function envOf(env: string[] | undefined, name: string): string | undefined {
  for (const e of env ?? []) {
    const eq = e.indexOf('=');
    if (e.slice(0, eq) === name) return e.slice(eq + 1);
  }
  return undefined;
}

/** An ARG word: "NAME" or "NAME=default" (the default expanded). */
export function splitArg(word: string, escape: string, lookup: Lookup): [string, string | undefined] {
  const eq = word.indexOf('=');
  if (eq < 0) return [word, undefined];
  return [word.slice(0, eq), expandWord(word.slice(eq + 1), lookup, escape)];
}
