// FROM: a stage starts from scratch, from an earlier stage (`FROM build`), or from an image, which
// is pulled when the local store does not have it.
import { shortId } from '../images/digest';
import type { ImageStore } from '../images/image-store';
import type { ImageRecord } from '../images/types';
import type { Instruction } from './parser';
import { expandWord, splitWords } from './shell-lex';
import { scratchConfig, type Fail, type Stage } from './stage';

/** Gets a base image that is not in the local store (normally RegistryClient.pull). */
export type ImagePuller = (
  ref: string,
  opts: { onProgress?: (text: string) => void; signal?: AbortSignal },
) => Promise<ImageRecord>;

/** A local image ID for `ref`, pulling it when it is not in the store. */
export async function imageFor(
  store: ImageStore,
  pull: ImagePuller | undefined,
  ref: string,
  progress: (t: string) => void,
  signal: AbortSignal | undefined,
  fail: Fail,
): Promise<string> {
  const id = store.lookup(ref);
  if (id) return id;
  if (!pull)
    return fail(
      `pull access denied for ${ref}: the image is not in the local store and no registry client is configured`,
    );
  try {
    return (await pull(ref, { onProgress: progress, signal })).id;
  } catch (e) {
    return fail(e instanceof Error ? e.message : String(e), e);
  }
}

/** What FROM needs of the build: `metaArgs` are the ARGs declared before the first FROM. */
export interface FromContext {
  escape: string;
  metaArgs: Map<string, string | undefined>;
  stages: Stage[];
  store: ImageStore;
  /** A local image ID for a reference (imageFor, bound to the build). */
  image(ref: string): Promise<string>;
  progress: (t: string) => void;
  fail: Fail;
}

/** The stage a FROM instruction starts. */
export async function fromStage(inst: Instruction, c: FromContext): Promise<Stage> {
  const { escape, metaArgs, stages, progress, fail } = c;
  const words = splitWords(inst.rest, escape);
  const [first, as, alias] = words;
  if (first === undefined || !(words.length === 1 || (words.length === 3 && as?.toLowerCase() === 'as')))
    fail('FROM requires either one or three arguments');
  const ref = expandWord(first ?? '', (n) => metaArgs.get(n), escape);
  const name = words.length === 3 ? alias?.toLowerCase() : undefined;
  if (name && stages.some((s) => s.name === name)) fail(`duplicate stage name ${JSON.stringify(name)}`);
  const platform = inst.flags.platform ? expandWord(inst.flags.platform, (n) => metaArgs.get(n), escape) : undefined;
  if (platform && !/^linux\/amd64/.test(platform))
    fail(`platform ${platform} is not supported: only linux/amd64 images can be built here`);
  const args = new Map<string, string | undefined>();
  if (ref === 'scratch') return { config: scratchConfig(), id: undefined, args, cmdSet: false, name };
  const parentStage = stages.find((s) => s.name === ref.toLowerCase());
  if (parentStage) {
    if (parentStage.id) progress(` ---> ${shortId(parentStage.id)}\n`);
    return { config: structuredClone(parentStage.config), id: parentStage.id, args, cmdSet: false, name };
  }
  const id = await c.image(ref);
  const config = structuredClone(await c.store.config(id));
  progress(` ---> ${shortId(id)}\n`);
  return { config, id, args, cmdSet: false, name };
}
