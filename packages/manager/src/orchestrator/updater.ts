import type { UpdateConfig } from '../types';
import { isTerminal, TaskState, type Service, type Task } from '../store/types';
import type { Action } from './reconcile';
import { taskMatchesService } from './spec-match';

export type UpdateState = NonNullable<Service['UpdateStatus']>['State'];

export interface UpdatePlan {
  actions: Action[];
  /** A new UpdateStatus to write (completed, paused, rollback), or undefined. */
  status?: NonNullable<Service['UpdateStatus']>;
  /** Roll back: write PreviousSpec as the spec (failure_action rollback). */
  rollback?: boolean;
  wakeAt: number | null;
}

const live = (t: Task) => t.DesiredState <= TaskState.RUNNING && !isTerminal(t.Status.State);
const failed = (t: Task) => t.Status.State === TaskState.FAILED || t.Status.State === TaskState.REJECTED;
const ms = (ns: number | undefined) => (ns ?? 0) / 1e6;

/** Docker's update defaults: one task at a time, no delay, pause on failure, 5 s monitor. */
export function effectiveUpdateConfig(service: Service, rollingBack: boolean): Required<UpdateConfig> {
  const c = (rollingBack ? service.Spec.RollbackConfig : service.Spec.UpdateConfig) ?? {};
  return {
    Parallelism: c.Parallelism ?? 1,
    Delay: c.Delay ?? 0,
    FailureAction: c.FailureAction ?? 'pause',
    Monitor: c.Monitor ?? 5e9,
    MaxFailureRatio: c.MaxFailureRatio ?? 0,
    Order: c.Order ?? 'stop-first',
  };
}

/**
 * One step of a rolling update of a replicated service (pure). Called whenever tasks change or the
 * returned wakeAt passes. Batches of `Parallelism` slots are replaced; the next batch starts when
 * the previous one runs and `Delay` has passed (as swarmkit's updater: `Monitor` does not hold
 * the next batch back); failures of new tasks beyond `MaxFailureRatio` trigger `FailureAction`,
 * and the update completes once every slot is new and the newest has run for `Monitor`.
 */
export function planUpdate(service: Service, tasks: Task[], now: number): UpdatePlan {
  const st = service.UpdateStatus;
  if (!st || (st.State !== 'updating' && st.State !== 'rollback_started')) return { actions: [], wakeAt: null };
  const rollingBack = st.State === 'rollback_started';
  const cfg = effectiveUpdateConfig(service, rollingBack);
  const startedAt = Date.parse(st.StartedAt ?? '') || 0;
  const replicas = 'Replicated' in service.Spec.Mode ? service.Spec.Mode.Replicated.Replicas : 0;

  const slots = new Map<number, Task[]>();
  for (const t of tasks) {
    if (!t.Slot || t.Slot > replicas) continue;
    const list = slots.get(t.Slot);
    if (list) list.push(t);
    else slots.set(t.Slot, [t]);
  }

  const actions: Action[] = [];
  /** New tasks not running yet: the next batch waits for them. */
  let starting = 0;
  /** New tasks running for less than Monitor: the update is not complete while there are any. */
  let monitoring = 0;
  let lastRunning = 0;
  const oldSlots: { slot: number; old: Task }[] = [];
  let failures = 0;
  let failedTask: Task | undefined;
  for (let slot = 1; slot <= replicas; slot++) {
    const ts = slots.get(slot) ?? [];
    const fresh = ts.filter((t) => taskMatchesService(t, service) && (Date.parse(t.CreatedAt) || 0) >= startedAt);
    for (const t of fresh) {
      if (failed(t)) {
        failures++;
        failedTask = t;
      }
    }
    const newLive = ts.find((t) => live(t) && taskMatchesService(t, service));
    const oldLive = ts.filter((t) => live(t) && !taskMatchesService(t, service));
    if (newLive) {
      const runningSince =
        newLive.Status.State === TaskState.RUNNING ? Date.parse(newLive.Status.Timestamp) || now : null;
      if (runningSince === null) starting++;
      else {
        if (now - runningSince < ms(cfg.Monitor)) monitoring++;
        lastRunning = Math.max(lastRunning, runningSince);
      }
      // start-first: the old task goes once its replacement runs.
      if (runningSince !== null)
        for (const o of oldLive) actions.push({ kind: 'shutdown', taskId: o.ID, remove: false });
    } else {
      const [old] = oldLive;
      if (old) oldSlots.push({ slot, old });
    }
  }

  const total = Math.max(replicas, 1);
  if (failures > 0 && failures / total > cfg.MaxFailureRatio && cfg.FailureAction !== 'continue') {
    const message = `update paused due to failure or early termination of task ${failedTask!.ID}`;
    if (cfg.FailureAction === 'rollback' && !rollingBack && service.PreviousSpec) {
      return {
        actions,
        rollback: true,
        status: {
          State: 'rollback_started',
          StartedAt: new Date(now).toISOString(),
          Message: `rollback started: ${message.replace('update paused due to', 'update failed because of')}`,
        },
        wakeAt: null,
      };
    }
    return {
      actions,
      status: { State: rollingBack ? 'rollback_paused' : 'paused', StartedAt: st.StartedAt, Message: message },
      wakeAt: null,
    };
  }

  if (oldSlots.length === 0 && starting === 0 && monitoring === 0) {
    return {
      actions,
      status: {
        State: rollingBack ? 'rollback_completed' : 'completed',
        StartedAt: st.StartedAt,
        CompletedAt: new Date(now).toISOString(),
        Message: rollingBack ? 'rollback completed' : 'update completed',
      },
      wakeAt: null,
    };
  }
  // The batch in flight: its tasks' state changes wake the next step.
  if (starting > 0) return { actions, wakeAt: null };
  // Every slot is new: wake when the newest task's monitor window ends.
  if (oldSlots.length === 0) return { actions, wakeAt: lastRunning + ms(cfg.Monitor) };
  const nextAt = lastRunning ? lastRunning + ms(cfg.Delay) : 0;
  if (now < nextAt) return { actions, wakeAt: nextAt };
  const batch = cfg.Parallelism === 0 ? oldSlots : oldSlots.slice(0, cfg.Parallelism);
  for (const { slot, old } of batch) {
    if (cfg.Order === 'stop-first') actions.push({ kind: 'shutdown', taskId: old.ID, remove: false });
    actions.push({ kind: 'create', slot });
  }
  return { actions, wakeAt: null };
}
