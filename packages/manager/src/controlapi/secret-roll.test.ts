// The in-place update end to end over the real orchestrator and scheduler loops (simulated workers):
// a secret's new data rolls every task of the services using it onto the new version, through the
// service's UpdateConfig, and a rollback puts the old version back.
import { Orchestrator } from '../orchestrator/orchestrator';
import { SchedulerLoop } from '../scheduler/loop';
import { TaskState, type Task } from '../store/types';
import { localStore, makeNode } from '../testing/fixtures';
import type { ServiceSpec } from '../types';
import { SecretApi } from './secrets';
import { ServiceApi } from './services';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function cluster() {
  const store = localStore();
  const orch = new Orchestrator(store);
  const sched = new SchedulerLoop(store);
  // Simulated workers: ASSIGNED -> RUNNING; desired SHUTDOWN/REMOVE -> SHUTDOWN.
  const worker = (events: { table: string }[]) => {
    if (!events.some((e) => e.table === 'tasks')) return;
    setImmediate(() => {
      void store
        .update((tx) => {
          for (const t of tx.list('tasks')) {
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
  const running = (): Task[] =>
    store.state
      .list('tasks')
      .filter((t) => t.Status.State === TaskState.RUNNING && t.DesiredState === TaskState.RUNNING);
  return {
    store,
    secrets: new SecretApi(store),
    services: new ServiceApi(store),
    running,
    async start() {
      await store.update((tx) => tx.create('nodes', makeNode('n1')));
      orch.start();
      sched.start();
    },
    stop() {
      orch.stop();
      sched.stop();
      store.off('change', worker);
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

const pin = (t: Task) => t.Spec.ContainerSpec.Secrets?.[0]?.DataVersion;

test('new secret data rolls the tasks onto the new version; a rollback restores the old one', async () => {
  const c = cluster();
  await c.start();
  try {
    const { ID } = await c.secrets.create({ Name: 'pw', Data: b64('v1') });
    const spec: ServiceSpec = {
      Name: 'web',
      TaskTemplate: {
        ContainerSpec: {
          Image: 'app:1',
          Secrets: [{ SecretID: ID, SecretName: 'pw', File: { Name: 'pw', UID: '0', GID: '0', Mode: 0o444 } }],
        },
      },
      Mode: { Replicated: { Replicas: 3 } },
      UpdateConfig: { Parallelism: 1, Monitor: 0 },
      RollbackConfig: { Parallelism: 1, Monitor: 0 },
    };
    await c.services.create(spec);
    await c.until(() => c.running().length === 3, '3 running');
    expect(c.running().map(pin)).toEqual([1, 1, 1]);
    const first = new Set(c.running().map((t) => t.ID));

    await c.secrets.update('pw', c.secrets.inspect('pw').Version.Index, { Name: 'pw', Data: b64('v2') });
    await c.until(() => c.running().length === 3 && c.running().every((t) => pin(t) === 2), 'every task on v2');
    await c.until(() => c.services.inspect('web').UpdateStatus?.State === 'completed', 'update completed');
    for (const t of c.running()) expect(first.has(t.ID)).toBe(false);
    expect(c.store.state.get('secrets', ID)!.PastData).toEqual({ '1': b64('v1') }); // kept for a rollback

    const web = c.services.inspect('web');
    await c.services.update('web', web.Version.Index, web.Spec, { rollback: true });
    await c.until(() => c.running().length === 3 && c.running().every((t) => pin(t) === 1), 'every task back on v1');
  } finally {
    c.stop();
  }
});
