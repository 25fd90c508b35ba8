// The orchestrator and scheduler loops together over a store, with a simulated worker per node
// that runs whatever is assigned to it (pure logic test: the real worker comes with the dispatcher).
import { LocalProposer, Store } from '../store/store';
import { TaskState, type Task } from '../store/types';
import { ServiceApi } from '../controlapi/services';
import { SchedulerLoop } from '../scheduler/loop';
import { makeNode } from '../testing/fixtures';
import { Orchestrator } from './orchestrator';
import type { ServiceSpec } from '../types';

function cluster(nodeIds: string[]) {
  const p = new LocalProposer();
  const store = new Store(p);
  p.store = store;
  const orch = new Orchestrator(store);
  const sched = new SchedulerLoop(store);
  // Simulated workers: ASSIGNED -> RUNNING; desired SHUTDOWN/REMOVE -> SHUTDOWN.
  const worker = (events: { table: string }[]) => {
    if (!events.some((e) => e.table === 'tasks')) return;
    setImmediate(() => {
      void store
        .update((tx) => {
          for (const t of tx.list('tasks')) {
            const down = tx.get('nodes', t.NodeID ?? '')?.Status.State === 'down';
            if (down) continue;
            if (t.Status.State === TaskState.ASSIGNED && t.DesiredState === TaskState.RUNNING)
              tx.update('tasks', { ...t, Status: { ...t.Status, State: TaskState.RUNNING, Message: 'started' } });
            else if (t.DesiredState >= TaskState.SHUTDOWN && t.Status.State <= TaskState.RUNNING && t.NodeID)
              tx.update('tasks', { ...t, Status: { ...t.Status, State: TaskState.SHUTDOWN, Message: 'shutdown' } });
          }
        })
        .catch(() => undefined);
    });
  };
  store.on('change', worker);
  return {
    store,
    api: new ServiceApi(store),
    async start() {
      await store.update((tx) => nodeIds.forEach((id) => tx.create('nodes', makeNode(id))));
      orch.start();
      sched.start();
    },
    stop() {
      orch.stop();
      sched.stop();
      store.off('change', worker);
    },
    running(): Task[] {
      return store.state
        .list('tasks')
        .filter((t) => t.Status.State === TaskState.RUNNING && t.DesiredState === TaskState.RUNNING);
    },
    async until(cond: () => boolean, what: string, ms = 3000) {
      const t0 = Date.now();
      while (!cond()) {
        if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
  };
}

const web = (replicas: number, image = 'app:1'): ServiceSpec => ({
  Name: 'web',
  TaskTemplate: { ContainerSpec: { Image: image }, RestartPolicy: { Condition: 'any', Delay: 0 } },
  Mode: { Replicated: { Replicas: replicas } },
});

describe('orchestrator + scheduler loops', () => {
  test('deploy 5, scale to 2 without touching the survivors, scale to 7', async () => {
    const c = cluster(['n1', 'n2']);
    await c.start();
    try {
      await c.api.create(web(5));
      await c.until(() => c.running().length === 5, '5 running');
      const byNode = (ts: Task[]) =>
        ts.reduce<Record<string, number>>((m, t) => ({ ...m, [t.NodeID!]: (m[t.NodeID!] ?? 0) + 1 }), {});
      expect(Object.values(byNode(c.running())).sort()).toEqual([2, 3]);
      const before = new Map(c.running().map((t) => [t.Slot, t.ID]));
      await c.api.update('web', c.api.inspect('web').Version.Index, web(2));
      await c.until(() => c.running().length === 2, '2 running');
      for (const t of c.running()) expect(before.get(t.Slot)).toBe(t.ID);
      await c.api.update('web', c.api.inspect('web').Version.Index, web(7));
      await c.until(() => c.running().length === 7, '7 running');
      for (const t of c.running().filter((x) => x.Slot! <= 2)) expect(before.get(t.Slot)).toBe(t.ID);
    } finally {
      c.stop();
    }
  });

  test('a node that goes down has its tasks replaced on the others', async () => {
    const c = cluster(['n1', 'n2', 'n3']);
    await c.start();
    try {
      await c.api.create(web(6));
      await c.until(() => c.running().length === 6, '6 running');
      await c.store.update((tx) => {
        const n = tx.get('nodes', 'n1')!;
        tx.update('nodes', { ...n, Status: { ...n.Status, State: 'down' } });
      });
      await c.until(() => c.running().filter((t) => t.NodeID !== 'n1').length === 6, '6 running off n1');
    } finally {
      c.stop();
    }
  });

  test('a rolling update replaces every task with the new image', async () => {
    const c = cluster(['n1']);
    await c.start();
    try {
      await c.api.create({ ...web(3), UpdateConfig: { Parallelism: 1, Monitor: 0 } });
      await c.until(() => c.running().length === 3, '3 running');
      const svc = c.api.inspect('web');
      await c.api.update('web', svc.Version.Index, {
        ...web(3, 'app:2'),
        UpdateConfig: { Parallelism: 1, Monitor: 0 },
      });
      await c.until(
        () => c.running().length === 3 && c.running().every((t) => t.Spec.ContainerSpec.Image === 'app:2'),
        'updated',
      );
      await c.until(() => c.api.inspect('web').UpdateStatus?.State === 'completed', 'update completed');
    } finally {
      c.stop();
    }
  });
});
