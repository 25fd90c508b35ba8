import { makeTask } from '../testing/fixtures';
import { TaskState, type Service, type Task } from '../store/types';
import type { ServiceSpec, UpdateConfig } from '../types';
import { planUpdate } from './updater';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const v1 = { ContainerSpec: { Image: 'app:1' } };
const v2 = { ContainerSpec: { Image: 'app:2' } };

function service(update: UpdateConfig, replicas = 4, state: 'updating' | 'rollback_started' = 'updating'): Service {
  const spec: ServiceSpec = {
    Name: 'web',
    TaskTemplate: v2,
    Mode: { Replicated: { Replicas: replicas } },
    UpdateConfig: update,
  };
  return {
    ID: 'svc',
    Version: { Index: 5 },
    CreatedAt: iso(T0),
    UpdatedAt: iso(T0),
    Spec: spec,
    PreviousSpec: { ...spec, TaskTemplate: v1 },
    UpdateStatus: { State: state, StartedAt: iso(T0) },
  };
}

const oldTask = (slot: number) => ({
  ...makeTask(`old${slot}`, 'svc', { slot, state: TaskState.RUNNING, spec: v1 }),
  CreatedAt: iso(T0 - 60_000),
});
const newTask = (slot: number, state: TaskState, at: number): Task => {
  const t = makeTask(`new${slot}`, 'svc', { slot, state, spec: v2 });
  return { ...t, CreatedAt: iso(at), Status: { ...t.Status, Timestamp: iso(at) } };
};

describe('rolling update', () => {
  test('stop-first, parallelism 2: the first batch replaces slots 1 and 2 only', () => {
    const plan = planUpdate(service({ Parallelism: 2 }), [1, 2, 3, 4].map(oldTask), T0);
    expect(plan.actions).toEqual([
      { kind: 'shutdown', taskId: 'old1', remove: false },
      { kind: 'create', slot: 1 },
      { kind: 'shutdown', taskId: 'old2', remove: false },
      { kind: 'create', slot: 2 },
    ]);
  });

  test('the next batch waits until the batch runs and the delay has passed, not for the monitor window', () => {
    const svc = service({ Parallelism: 2, Monitor: 5e9, Delay: 2e9 });
    const batch = [oldTask(3), oldTask(4)];
    const starting = [newTask(1, TaskState.RUNNING, T0 + 1000), newTask(2, TaskState.STARTING, T0 + 900)];
    expect(planUpdate(svc, [...starting, ...batch], T0 + 1500)).toMatchObject({ actions: [], wakeAt: null });
    const tasks = [newTask(1, TaskState.RUNNING, T0 + 1000), newTask(2, TaskState.RUNNING, T0 + 1000), ...batch];
    expect(planUpdate(svc, tasks, T0 + 2500)).toMatchObject({ actions: [], wakeAt: T0 + 3000 });
    // 3 s: the delay has passed, the 5 s monitor window has not: docker goes on, and so do we.
    expect(planUpdate(svc, tasks, T0 + 3000).actions).toEqual([
      { kind: 'shutdown', taskId: 'old3', remove: false },
      { kind: 'create', slot: 3 },
      { kind: 'shutdown', taskId: 'old4', remove: false },
      { kind: 'create', slot: 4 },
    ]);
  });

  test('every slot new: completed only once the newest task has run for the monitor window', () => {
    const svc = service({ Monitor: 5e9 }, 2);
    const tasks = [newTask(1, TaskState.RUNNING, T0 + 1000), newTask(2, TaskState.RUNNING, T0 + 2000)];
    expect(planUpdate(svc, tasks, T0 + 3000)).toMatchObject({ actions: [], wakeAt: T0 + 7000 });
    expect(planUpdate(svc, tasks, T0 + 3000).status).toBeUndefined();
    expect(planUpdate(svc, tasks, T0 + 7000).status).toMatchObject({ State: 'completed' });
  });

  test('start-first: the new task starts beside the old one, which stops once the new one runs', () => {
    const svc = service({ Parallelism: 1, Order: 'start-first', Monitor: 0 });
    expect(planUpdate(svc, [oldTask(1)], T0).actions).toEqual([{ kind: 'create', slot: 1 }]);
    expect(planUpdate(svc, [oldTask(1), newTask(1, TaskState.STARTING, T0 + 10)], T0 + 20).actions).toEqual([]);
    expect(planUpdate(svc, [oldTask(1), newTask(1, TaskState.RUNNING, T0 + 30)], T0 + 40).actions).toEqual([
      { kind: 'shutdown', taskId: 'old1', remove: false },
    ]);
  });

  test('all slots on the new definition and monitored: completed', () => {
    const plan = planUpdate(
      service({ Monitor: 0 }, 2),
      [newTask(1, TaskState.RUNNING, T0 + 1), newTask(2, TaskState.RUNNING, T0 + 1)],
      T0 + 10,
    );
    expect(plan.status).toMatchObject({ State: 'completed', Message: 'update completed' });
  });

  test('a failed new task pauses the update (failure_action pause, max_failure_ratio 0)', () => {
    const plan = planUpdate(
      service({ Parallelism: 1 }),
      [newTask(1, TaskState.FAILED, T0 + 5), oldTask(2), oldTask(3), oldTask(4)],
      T0 + 10,
    );
    expect(plan.status).toMatchObject({
      State: 'paused',
      Message: 'update paused due to failure or early termination of task new1',
    });
    expect(plan.actions).toEqual([]);
  });

  test('failure_action rollback starts a rollback; max_failure_ratio tolerates some failures', () => {
    const tasks = [newTask(1, TaskState.FAILED, T0 + 5), oldTask(2), oldTask(3), oldTask(4)];
    expect(planUpdate(service({ FailureAction: 'rollback' }), tasks, T0 + 10)).toMatchObject({
      rollback: true,
      status: { State: 'rollback_started' },
    });
    expect(planUpdate(service({ MaxFailureRatio: 0.5 }), tasks, T0 + 10).status).toBeUndefined();
  });

  test('a service that is not updating is left alone', () => {
    const s = { ...service({}), UpdateStatus: undefined };
    expect(planUpdate(s, [oldTask(1)], T0)).toEqual({ actions: [], wakeAt: null });
  });
});
