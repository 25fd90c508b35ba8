import { TaskState, type Task } from '../store/types';

/**
 * The tasks a worker must know about (pure): everything assigned to it, until the manager deletes
 * the task (its container goes with it). A task leaves the set when it moves to another node.
 */
export function belongsToNode(t: Task | undefined, nodeId: string): boolean {
  return !!t && t.NodeID === nodeId && t.Status.State >= TaskState.ASSIGNED;
}

export interface AssignmentDelta {
  update: Task[];
  remove: string[];
}

/** Folds a burst of task changes into one incremental assignment message. */
export function foldChanges(
  changes: { object: Task; old?: Task; kind: 'create' | 'update' | 'delete' }[],
  nodeId: string,
): AssignmentDelta {
  const update = new Map<string, Task>();
  const remove = new Set<string>();
  for (const c of changes) {
    const now = c.kind === 'delete' ? undefined : c.object;
    if (belongsToNode(now, nodeId)) {
      update.set(c.object.ID, now!);
      remove.delete(c.object.ID);
    } else if (belongsToNode(c.old, nodeId) || update.has(c.object.ID)) {
      update.delete(c.object.ID);
      remove.add(c.object.ID);
    }
  }
  return { update: [...update.values()], remove: [...remove] };
}
