// Which secrets and configs a node gets (pure): those its live tasks reference, each at the data
// version the task pins, sent with (before) the task's assignment and dropped when no task on the
// node needs it any more. Data of one (kind, ID, DataVersion) never changes, so a dependency is
// sent once, and two versions of one secret can live on a node during a roll.
import { z } from 'zod';
import { TaskState, type Task } from '../store/types';
import { belongsToNode } from './assignments';

export type DependencyKind = 'secret' | 'config';

/** One version of a secret or config that a task uses. */
export interface DependencyRef {
  kind: DependencyKind;
  id: string;
  version: number;
}

/**
 * What a node receives for a dependency (AssignmentChange.dependency_json): the data at one
 * version, base64, and the template driver if the data is a template. For REMOVE only ID and
 * DataVersion are sent.
 */
export interface AssignedDependency {
  ID: string;
  Name: string;
  DataVersion: number;
  Data: string;
  Templating?: { Name: string; Options?: Record<string, string> };
}

/** The worker's check of a dependency at its edge (REMOVE carries only ID and DataVersion). */
export const assignedDependencySchema = z.object({
  ID: z.string().min(1),
  Name: z.string().default(''),
  DataVersion: z.number().int().nonnegative(),
  Data: z.string().default(''),
  Templating: z.object({ Name: z.string(), Options: z.record(z.string(), z.string()).optional() }).optional(),
});

export const dependencyKey = (r: DependencyRef): string => `${r.kind}/${r.id}/${r.version}`;

/**
 * The dependencies one task references. A reference without DataVersion (made before the control
 * API pinned them) means the object's current version, which `currentVersion` gives (undefined
 * when the object is gone: then there is nothing to send, and the worker rejects the task).
 */
export function taskDependencies(
  t: Task,
  currentVersion: (kind: DependencyKind, id: string) => number | undefined,
): DependencyRef[] {
  const c = t.Spec?.ContainerSpec;
  const out: DependencyRef[] = [];
  const add = (kind: DependencyKind, id: string, pinned: number | undefined) => {
    const version = pinned ?? currentVersion(kind, id);
    if (id && version !== undefined) out.push({ kind, id, version });
  };
  for (const s of c?.Secrets ?? []) add('secret', s.SecretID, s.DataVersion);
  for (const s of c?.Configs ?? []) add('config', s.ConfigID, s.DataVersion);
  return out;
}

/**
 * Whether the node must hold a task's dependencies (swarmkit's rule): a task assigned to it that
 * has not stopped. A task that reached COMPLETE or later needs its data no more, even while its
 * record (and container) stays for the history.
 */
export function needsDependencies(t: Task | undefined, nodeId: string): boolean {
  return !!t && belongsToNode(t, nodeId) && t.Status.State <= TaskState.RUNNING;
}

/** The union of the dependencies of a set of tasks (task ID -> its dependencies). */
export function neededDependencies(byTask: ReadonlyMap<string, DependencyRef[]>): Map<string, DependencyRef> {
  const out = new Map<string, DependencyRef>();
  for (const refs of byTask.values()) for (const r of refs) out.set(dependencyKey(r), r);
  return out;
}

export interface DependencyDelta {
  add: DependencyRef[];
  remove: DependencyRef[];
}

/** What to send a node that holds `sent` so that it holds `needed`. */
export function dependencyDelta(
  sent: ReadonlyMap<string, DependencyRef>,
  needed: ReadonlyMap<string, DependencyRef>,
): DependencyDelta {
  return {
    add: [...needed].filter(([k]) => !sent.has(k)).map(([, r]) => r),
    remove: [...sent].filter(([k]) => !needed.has(k)).map(([, r]) => r),
  };
}
