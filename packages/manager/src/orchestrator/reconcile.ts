import type { ServiceSpec } from '../types';
import { isTerminal, TaskState, type Node, type Service, type Task } from '../store/types';
import { parseConstraint, satisfies } from '../scheduler/constraints';
import { decideRestart } from './restart';
import { stableJson, taskMatchesService } from './spec-match';

/** Finished tasks kept per slot (or per node for global services) for `service ps`, like docker. */
export const TASK_HISTORY_RETENTION = 5;

export interface ReconcileOptions {
  /** Nodes that stopped heartbeating: their tasks are lost and replaced at once. */
  downNodes?: ReadonlySet<string>;
  /** Nodes set to drain: their tasks are shut down and replaced elsewhere at once. */
  drainedNodes?: ReadonlySet<string>;
  /** `swarm update --task-history-limit`: finished tasks kept per slot; negative keeps them all. */
  historyLimit?: number;
}

export type Action =
  | { kind: 'create'; slot?: number; nodeId?: string }
  | { kind: 'shutdown'; taskId: string; remove: boolean }
  | { kind: 'delete'; taskId: string };

export interface ReconcileResult {
  actions: Action[];
  /** Epoch ms when reconcile must run again (a restart delay expires), or null. */
  wakeAt: number | null;
}

/** A task counts toward its slot while it is desired running and has not stopped. */
const live = (t: Task) => t.DesiredState <= TaskState.RUNNING && !isTerminal(t.Status.State);

/**
 * Replicated services (pure): one live task per slot 1..N. Scaling only adds or removes slots:
 * existing tasks are never restarted by a count change. Stopped tasks are replaced per
 * restart_policy, and old tasks beyond the history retention are deleted.
 */
export function reconcileReplicated(
  service: Service,
  tasks: Task[],
  now: number,
  opts: ReconcileOptions = {},
): ReconcileResult {
  const limit = opts.historyLimit ?? TASK_HISTORY_RETENTION;
  const mode = service.Spec.Mode;
  const replicas = 'Replicated' in mode ? mode.Replicated.Replicas : 0;
  const actions: Action[] = [];
  let wakeAt: number | null = null;
  const bySlot = groupBy(tasks, (t) => t.Slot ?? 0);

  for (const [slot, slotTasks] of bySlot) {
    if (slot > replicas || slot === 0) {
      // Scale down: the slot goes away with all its tasks.
      for (const t of slotTasks) {
        if (t.DesiredState < TaskState.REMOVE) actions.push({ kind: 'shutdown', taskId: t.ID, remove: true });
        else if (isTerminal(t.Status.State)) actions.push({ kind: 'delete', taskId: t.ID });
      }
    }
  }
  for (let slot = 1; slot <= replicas; slot++) {
    const slotTasks = bySlot.get(slot) ?? [];
    // A task on a node that went down is lost: shut it down and replace it at once (no restart
    // delay: the task did not fail, its node did). A drained node's tasks move the same way
    // (swarmkit's orchestrator restarts them elsewhere; the scheduler places nothing on it).
    const gone = (id: string) => !!opts.downNodes?.has(id) || !!opts.drainedNodes?.has(id);
    const lost = slotTasks.filter((t) => live(t) && t.NodeID !== undefined && gone(t.NodeID));
    for (const t of lost) actions.push({ kind: 'shutdown', taskId: t.ID, remove: false });
    const liveTasks = slotTasks.filter((t) => live(t) && !lost.includes(t));
    if (lost.length && liveTasks.length === 0) {
      actions.push({ kind: 'create', slot });
      pruneHistory(slotTasks, actions, limit);
      continue;
    }
    // Two live tasks of one definition in one slot (e.g. a node came back): keep the most advanced,
    // newest one. An old and a new definition side by side is a start-first update: the updater's.
    for (const same of [
      liveTasks.filter((t) => taskMatchesService(t, service)),
      liveTasks.filter((t) => !taskMatchesService(t, service)),
    ]) {
      same.sort((a, b) => b.Status.State - a.Status.State || created(b) - created(a));
      for (const extra of same.slice(1)) actions.push({ kind: 'shutdown', taskId: extra.ID, remove: false });
    }
    if (liveTasks.length === 0) {
      const last = latest(slotTasks);
      if (!last) {
        actions.push({ kind: 'create', slot });
      } else if (last.DesiredState <= TaskState.RUNNING) {
        // It stopped on its own: the restart policy decides. A task the policy does not restart
        // keeps its desired state, so the slot stays settled instead of being refilled.
        const d = decideRestart(last, service.Spec.TaskTemplate.RestartPolicy, slotTasks, now);
        if (d.restart && now >= d.notBefore) {
          actions.push({ kind: 'shutdown', taskId: last.ID, remove: false });
          actions.push({ kind: 'create', slot });
        } else if (d.restart) {
          wakeAt = Math.min(wakeAt ?? Infinity, d.notBefore);
        }
      } else if (
        last.DesiredState === TaskState.SHUTDOWN &&
        isTerminal(last.Status.State) &&
        isReplacementDue(slotTasks)
      ) {
        actions.push({ kind: 'create', slot });
      }
    }
    pruneHistory(slotTasks, actions, limit);
  }
  return { actions, wakeAt };
}

/** After an update or a node loss the old task is shut down by intent: the slot needs a new one. */
function isReplacementDue(slotTasks: Task[]): boolean {
  return !slotTasks.some((t) => t.DesiredState <= TaskState.RUNNING);
}

/** Global services (pure): one live task on every node that is ready, active and fits the constraints. */
export function reconcileGlobal(
  service: Service,
  tasks: Task[],
  nodes: Node[],
  now: number,
  opts: ReconcileOptions = {},
): ReconcileResult {
  const limit = opts.historyLimit ?? TASK_HISTORY_RETENTION;
  const actions: Action[] = [];
  let wakeAt: number | null = null;
  const constraints = (service.Spec.TaskTemplate.Placement?.Constraints ?? []).map(parseConstraint);
  const eligible = new Set(
    nodes
      .filter(
        (n) =>
          n.Status.State !== 'down' && n.Spec.Availability !== 'drain' && constraints.every((c) => satisfies(n, c)),
      )
      .map((n) => n.ID),
  );
  const byNode = groupBy(tasks, (t) => t.NodeID ?? '');
  for (const [nodeId, nodeTasks] of byNode) {
    if (!eligible.has(nodeId)) {
      for (const t of nodeTasks)
        if (t.DesiredState <= TaskState.RUNNING)
          actions.push({ kind: 'shutdown', taskId: t.ID, remove: !nodes.some((n) => n.ID === nodeId) });
    }
  }
  for (const nodeId of eligible) {
    const nodeTasks = byNode.get(nodeId) ?? [];
    const liveTasks = nodeTasks.filter(live);
    for (const extra of liveTasks.slice(1)) actions.push({ kind: 'shutdown', taskId: extra.ID, remove: false });
    if (liveTasks.length === 0) {
      const last = latest(nodeTasks);
      const node = nodes.find((n) => n.ID === nodeId)!;
      if (!last) {
        if (node.Spec.Availability === 'active' && node.Status.State === 'ready')
          actions.push({ kind: 'create', nodeId });
      } else if (last.DesiredState <= TaskState.RUNNING) {
        const d = decideRestart(last, service.Spec.TaskTemplate.RestartPolicy, nodeTasks, now);
        if (d.restart && now >= d.notBefore) {
          actions.push({ kind: 'shutdown', taskId: last.ID, remove: false });
          actions.push({ kind: 'create', nodeId });
        } else if (d.restart) {
          wakeAt = Math.min(wakeAt ?? Infinity, d.notBefore);
        }
      } else if (isReplacementDue(nodeTasks) && node.Status.State === 'ready') {
        actions.push({ kind: 'create', nodeId });
      }
    }
    pruneHistory(nodeTasks, actions, limit);
  }
  return { actions, wakeAt };
}

function pruneHistory(tasks: Task[], actions: Action[], limit: number): void {
  if (limit < 0) return;
  const done = tasks
    .filter((t) => isTerminal(t.Status.State) && t.DesiredState > TaskState.RUNNING)
    .sort((a, b) => created(b) - created(a));
  for (const t of done.slice(limit)) actions.push({ kind: 'delete', taskId: t.ID });
}

const created = (t: Task) => Date.parse(t.CreatedAt) || 0;

function latest(tasks: Task[]): Task | undefined {
  let best: Task | undefined;
  for (const t of tasks)
    if (!best || created(t) > created(best) || (created(t) === created(best) && t.Version.Index > best.Version.Index))
      best = t;
  return best;
}

function groupBy<K>(tasks: Task[], key: (t: Task) => K): Map<K, Task[]> {
  const m = new Map<K, Task[]>();
  for (const t of tasks) {
    const k = key(t);
    const g = m.get(k);
    if (g) g.push(t);
    else m.set(k, [t]);
  }
  return m;
}

/** Whether a service change needs its tasks replaced (an update), as opposed to a scale. */
export function specChangeNeedsUpdate(prev: ServiceSpec | undefined, next: ServiceSpec): boolean {
  if (!prev) return false;
  return (
    stableJson(prev.TaskTemplate) !== stableJson(next.TaskTemplate) ||
    stableJson(prev.EndpointSpec?.Ports ?? []) !== stableJson(next.EndpointSpec?.Ports ?? [])
  );
}
