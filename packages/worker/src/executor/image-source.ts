// Where a task's image comes from when this node lacks it: other nodes of the swarm first, then
// the registry. Peers first because an image built on one node exists nowhere else (the lab
// deploys without a registry, moby#34351), because every node then runs the bytes the cluster
// already has (the same image ID as its peers, not whatever the tag means in the registry now),
// and because a loopback or LAN copy beats a registry round trip and its rate limits. A ref
// pinned by digest is verified against that digest whichever source serves it.
import type { ImageRecord } from '@flotilla/engine-core';
import { NotFoundError } from '@flotilla/engine-core';
import { TaskRejectedError } from '../agent/executor';

export interface ImageSources {
  /** The local store: resolves, or throws NotFoundError. */
  local: (image: string) => Promise<unknown>;
  /** Other nodes: throws NotFoundError when none has it, another error when a transfer failed. */
  peers?: (image: string, signal: AbortSignal) => Promise<ImageRecord | unknown>;
  registry?: (image: string, signal: AbortSignal) => Promise<unknown>;
}

/** Makes the image local or rejects the task with docker's `No such image: ...` and the reasons. */
export async function ensureImage(image: string, s: ImageSources, signal: AbortSignal): Promise<void> {
  try {
    await s.local(image);
    return;
  } catch (e) {
    if (!(e instanceof NotFoundError)) throw e;
  }
  const reasons: string[] = [];
  if (s.peers) {
    try {
      await s.peers(image, signal);
      return;
    } catch (e) {
      signal.throwIfAborted();
      if (!(e instanceof NotFoundError)) reasons.push(`peer fetch failed: ${(e as Error).message}`);
    }
  }
  if (s.registry) {
    try {
      await s.registry(image, signal);
      return;
    } catch (e) {
      signal.throwIfAborted();
      reasons.push(`pull failed: ${(e as Error).message}`);
    }
  }
  throw new TaskRejectedError(`No such image: ${image}${reasons.length ? ` (${reasons.join('; ')})` : ''}`);
}
