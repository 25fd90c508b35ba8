// docker rmi's rules, as a pure decision: untag one name, or untag every name and delete the image
// (keeping it when a container still uses it), or refuse with docker's conflict messages.
import { ConflictError } from '../errors';
import { shortId } from './digest';

export interface RemovalInput {
  /** What the user named. */
  ref: string;
  id: string;
  /** The canonical tag `ref` named, when it named this image by a tag. */
  byName?: string;
  /** Every canonical tag of the image. */
  tags: string[];
  /** Containers using the image. */
  users: { containerId: string; running: boolean }[];
  force: boolean;
}

export type RemovalPlan =
  /** Only this name goes: the image keeps its other tags. */
  | { kind: 'untag'; tag: string }
  /** Every name goes; the image itself too unless a container still uses it (forced removal). */
  | { kind: 'remove'; tags: string[]; keepImage: boolean };

export function planRemoval(i: RemovalInput): RemovalPlan {
  const [user] = i.users;
  const running = i.users.find((u) => u.running);
  if (i.byName) {
    if (i.tags.length > 1) return { kind: 'untag', tag: i.byName };
    if (user && !i.force) {
      throw new ConflictError(
        `conflict: unable to remove repository reference "${i.ref}" (must force) - container ${shortId(user.containerId)} is using its referenced image ${shortId(i.id)}`,
      );
    }
  } else {
    if (running) {
      throw new ConflictError(
        `conflict: unable to delete ${shortId(i.id)} (cannot be forced) - image is being used by running container ${shortId(running.containerId)}`,
      );
    }
    if (i.tags.length > 1 && !i.force) {
      throw new ConflictError(
        `conflict: unable to delete ${shortId(i.id)} (must be forced) - image is referenced in multiple repositories`,
      );
    }
    if (user && !i.force) {
      throw new ConflictError(
        `conflict: unable to delete ${shortId(i.id)} (must be forced) - image is being used by stopped container ${shortId(user.containerId)}`,
      );
    }
  }
  return { kind: 'remove', tags: i.tags, keepImage: user !== undefined };
}
