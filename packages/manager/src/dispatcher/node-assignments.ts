// One node's assignment stream: the tasks it must know and the secrets and configs they need.
// Builds the COMPLETE message and the INCREMENTAL ones, a dependency always before the first task
// that needs it and removed after the last task that needed it.
import { dataAtVersion } from '../store/data-versions';
import type { Store } from '../store/store';
import type { Task } from '../store/types';
import type { AssignmentDelta } from './assignments';
import {
  dependencyDelta,
  dependencyKey,
  needsDependencies,
  neededDependencies,
  taskDependencies,
  type AssignedDependency,
  type DependencyKind,
  type DependencyRef,
} from './dependencies';

/** An AssignmentChange as grpc-js takes it (enums by name). */
export interface AssignmentChangeMessage {
  action: 'UPDATE' | 'REMOVE';
  kind: 'TASK' | 'SECRET' | 'CONFIG';
  taskJson?: Buffer;
  dependencyJson?: Buffer;
}

const TABLE = { secret: 'secrets', config: 'configs' } as const;

export class NodeAssignments {
  /** Tasks on the node that still need their dependencies, with those dependencies. */
  private readonly byTask = new Map<string, DependencyRef[]>();
  /** What the node holds (what this stream sent it). */
  private readonly sent = new Map<string, DependencyRef>();

  constructor(
    private readonly nodeId: string,
    private readonly store: Store,
  ) {}

  /** The whole set: every task of the node and every dependency they need (the node drops others). */
  complete(tasks: Task[]): AssignmentChangeMessage[] {
    this.byTask.clear();
    this.sent.clear();
    const add = this.track(tasks, []);
    return [...add, ...tasks.map(taskUpdate)];
  }

  /** The changes for a folded burst of task changes; empty when the node needs to hear nothing. */
  incremental(delta: AssignmentDelta): AssignmentChangeMessage[] {
    const removed: DependencyRef[] = [];
    const add = this.track(delta.update, delta.remove, removed);
    return [
      ...add,
      ...delta.update.map(taskUpdate),
      ...delta.remove.map((id) => ({
        action: 'REMOVE' as const,
        kind: 'TASK' as const,
        taskJson: Buffer.from(JSON.stringify({ ID: id })),
      })),
      ...removed.map((r) => ({
        action: 'REMOVE' as const,
        kind: kindName(r.kind),
        dependencyJson: Buffer.from(JSON.stringify({ ID: r.id, DataVersion: r.version })),
      })),
    ];
  }

  /** Applies task changes to what the node needs; returns the dependencies to add (resolved). */
  private track(update: Task[], remove: string[], removed: DependencyRef[] = []): AssignmentChangeMessage[] {
    const current = (kind: DependencyKind, id: string) => this.store.state.get(TABLE[kind], id)?.DataVersion;
    for (const t of update) {
      if (needsDependencies(t, this.nodeId)) this.byTask.set(t.ID, taskDependencies(t, current));
      else this.byTask.delete(t.ID);
    }
    for (const id of remove) this.byTask.delete(id);
    const delta = dependencyDelta(this.sent, neededDependencies(this.byTask));
    const out: AssignmentChangeMessage[] = [];
    for (const r of delta.add) {
      const dep = this.resolve(r);
      // Gone (deleted, or a pruned version): nothing to send; the worker rejects the task.
      if (!dep) continue;
      this.sent.set(dependencyKey(r), r);
      out.push({ action: 'UPDATE', kind: kindName(r.kind), dependencyJson: Buffer.from(JSON.stringify(dep)) });
    }
    for (const r of delta.remove) {
      this.sent.delete(dependencyKey(r));
      removed.push(r);
    }
    return out;
  }

  private resolve(r: DependencyRef): AssignedDependency | undefined {
    const obj = this.store.state.get(TABLE[r.kind], r.id);
    const data = obj && dataAtVersion(obj, r.version);
    if (!obj || data === undefined) return undefined;
    return {
      ID: obj.ID,
      Name: obj.Spec.Name,
      DataVersion: r.version,
      Data: data,
      ...(obj.Spec.Templating ? { Templating: obj.Spec.Templating } : {}),
    };
  }
}

const kindName = (k: DependencyKind) => (k === 'secret' ? ('SECRET' as const) : ('CONFIG' as const));

const taskUpdate = (t: Task): AssignmentChangeMessage => ({
  action: 'UPDATE',
  kind: 'TASK',
  taskJson: Buffer.from(JSON.stringify(t)),
});
