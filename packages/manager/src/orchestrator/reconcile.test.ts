import { makeNode, makeTask } from '../testing/fixtures';
import { TaskState, type Service, type Task } from '../store/types';
import type { ServiceSpec } from '../types';
import { reconcileGlobal, reconcileReplicated, TASK_HISTORY_RETENTION } from './reconcile';

function service(spec: Partial<ServiceSpec> = {}, replicas = 3): Service {
  return {
    ID: 'svc',
    Version: { Index: 10 },
    CreatedAt: '2026-01-01T00:00:00Z',
    UpdatedAt: '2026-01-01T00:00:00Z',
    Spec: {
      Name: 'web',
      TaskTemplate: { ContainerSpec: { Image: 'app' } },
      Mode: { Replicated: { Replicas: replicas } },
      ...spec,
    },
  };
}

const at = (iso: string, t: Task): Task => ({ ...t, CreatedAt: iso, Status: { ...t.Status, Timestamp: iso } });
const NOW = Date.parse('2026-01-01T00:01:00Z');

describe('replicated services', () => {
  test('creates one task per missing slot', () => {
    const r = reconcileReplicated(service(), [makeTask('a', 'svc', { slot: 1, state: TaskState.RUNNING })], NOW);
    expect(r.actions).toEqual([
      { kind: 'create', slot: 2 },
      { kind: 'create', slot: 3 },
    ]);
  });

  test('scaling up or down never touches the tasks that stay (moby#30844 spirit)', () => {
    const tasks = [1, 2, 3, 4, 5].map((s) => makeTask(`t${s}`, 'svc', { slot: s, state: TaskState.RUNNING }));
    const down = reconcileReplicated(service({}, 2), tasks, NOW);
    expect(down.actions).toEqual([3, 4, 5].map((s) => ({ kind: 'shutdown', taskId: `t${s}`, remove: true })));
    const up = reconcileReplicated(service({}, 7), tasks, NOW);
    expect(up.actions).toEqual([
      { kind: 'create', slot: 6 },
      { kind: 'create', slot: 7 },
    ]);
  });

  test("a removed slot's tasks are deleted once they have stopped", () => {
    const t = makeTask('t3', 'svc', { slot: 3, state: TaskState.SHUTDOWN, desired: TaskState.REMOVE });
    expect(reconcileReplicated(service({}, 2), [t], NOW).actions).toContainEqual({ kind: 'delete', taskId: 't3' });
  });

  test('restart policy any (default): replaced after the 5 s delay', () => {
    const failed = at('2026-01-01T00:00:58Z', makeTask('f', 'svc', { slot: 1, state: TaskState.FAILED }));
    const early = reconcileReplicated(service({}, 1), [failed], NOW);
    expect(early.actions).toEqual([]);
    expect(early.wakeAt).toBe(Date.parse('2026-01-01T00:01:03Z'));
    const later = reconcileReplicated(service({}, 1), [failed], NOW + 3000);
    expect(later.actions).toEqual([
      { kind: 'shutdown', taskId: 'f', remove: false },
      { kind: 'create', slot: 1 },
    ]);
  });

  test('restart policy on-failure: a clean exit is not restarted, a failure is', () => {
    const spec = {
      TaskTemplate: { ContainerSpec: { Image: 'app' }, RestartPolicy: { Condition: 'on-failure' as const, Delay: 0 } },
    };
    const complete = makeTask('c', 'svc', { slot: 1, state: TaskState.COMPLETE });
    expect(reconcileReplicated(service(spec, 1), [complete], NOW).actions).toEqual([]);
    const failed = makeTask('f', 'svc', { slot: 1, state: TaskState.FAILED });
    expect(reconcileReplicated(service(spec, 1), [failed], NOW).actions).toContainEqual({ kind: 'create', slot: 1 });
  });

  test('restart policy none and max_attempts', () => {
    const none = { TaskTemplate: { ContainerSpec: { Image: 'app' }, RestartPolicy: { Condition: 'none' as const } } };
    expect(
      reconcileReplicated(service(none, 1), [makeTask('f', 'svc', { slot: 1, state: TaskState.FAILED })], NOW).actions,
    ).toEqual([]);
    const max2 = {
      TaskTemplate: {
        ContainerSpec: { Image: 'app' },
        RestartPolicy: { Condition: 'any' as const, Delay: 0, MaxAttempts: 2 },
      },
    };
    // h0 was the original task, h1 and h2 its two restarts: a third restart exceeds max_attempts 2.
    const history = [
      at(
        '2026-01-01T00:00:05Z',
        makeTask('h0', 'svc', { slot: 1, state: TaskState.FAILED, desired: TaskState.SHUTDOWN }),
      ),
      at(
        '2026-01-01T00:00:10Z',
        makeTask('h1', 'svc', { slot: 1, state: TaskState.FAILED, desired: TaskState.SHUTDOWN }),
      ),
      at('2026-01-01T00:00:20Z', makeTask('h2', 'svc', { slot: 1, state: TaskState.FAILED })),
    ];
    const oneRestartSoFar = [history[0]!, { ...history[1]!, DesiredState: TaskState.RUNNING }];
    expect(reconcileReplicated(service(max2, 1), oneRestartSoFar, NOW).actions).toContainEqual({
      kind: 'create',
      slot: 1,
    });
    expect(reconcileReplicated(service(max2, 1), history, NOW).actions).toEqual([]);
  });

  test('a task on a node that went down is replaced at once', () => {
    const tasks = [
      makeTask('a', 'svc', { slot: 1, node: 'n1', state: TaskState.RUNNING }),
      makeTask('b', 'svc', { slot: 2, node: 'n2', state: TaskState.RUNNING }),
    ];
    const r = reconcileReplicated(service({}, 2), tasks, NOW, { downNodes: new Set(['n1']) });
    expect(r.actions).toEqual([
      { kind: 'shutdown', taskId: 'a', remove: false },
      { kind: 'create', slot: 1 },
    ]);
  });

  test("a task on a drained node moves at once; the node's stopped history stays put", () => {
    const tasks = [
      makeTask('a', 'svc', { slot: 1, node: 'n1', state: TaskState.RUNNING }),
      makeTask('b', 'svc', { slot: 2, node: 'n2', state: TaskState.RUNNING }),
      makeTask('old', 'svc', { slot: 2, node: 'n1', state: TaskState.SHUTDOWN, desired: TaskState.SHUTDOWN }),
    ];
    const r = reconcileReplicated(service({}, 2), tasks, NOW, { drainedNodes: new Set(['n1']) });
    expect(r.actions).toEqual([
      { kind: 'shutdown', taskId: 'a', remove: false },
      { kind: 'create', slot: 1 },
    ]);
  });

  test('two live tasks in one slot: the extra one is shut down', () => {
    const a = at('2026-01-01T00:00:01Z', makeTask('a', 'svc', { slot: 1, state: TaskState.RUNNING }));
    const b = at('2026-01-01T00:00:02Z', makeTask('b', 'svc', { slot: 1, state: TaskState.RUNNING }));
    expect(reconcileReplicated(service({}, 1), [a, b], NOW).actions).toEqual([
      { kind: 'shutdown', taskId: 'a', remove: false },
    ]);
  });

  test(`task history keeps ${TASK_HISTORY_RETENTION} finished tasks per slot`, () => {
    const old = Array.from({ length: 7 }, (_, i) =>
      at(
        `2026-01-01T00:00:0${i}Z`,
        makeTask(`o${i}`, 'svc', { slot: 1, state: TaskState.FAILED, desired: TaskState.SHUTDOWN }),
      ),
    );
    const running = makeTask('r', 'svc', { slot: 1, state: TaskState.RUNNING });
    const r = reconcileReplicated(service({}, 1), [...old, running], NOW);
    expect(r.actions).toEqual([
      { kind: 'delete', taskId: 'o1' },
      { kind: 'delete', taskId: 'o0' },
    ]);
  });

  test('swarm update --task-history-limit: the limit is honoured, and a negative one keeps everything', () => {
    const old = Array.from({ length: 4 }, (_, i) =>
      at(
        `2026-01-01T00:00:0${i}Z`,
        makeTask(`o${i}`, 'svc', { slot: 1, state: TaskState.SHUTDOWN, desired: TaskState.SHUTDOWN }),
      ),
    );
    const running = makeTask('r', 'svc', { slot: 1, state: TaskState.RUNNING });
    expect(reconcileReplicated(service({}, 1), [...old, running], NOW, { historyLimit: 1 }).actions).toEqual(
      ['o2', 'o1', 'o0'].map((taskId) => ({ kind: 'delete', taskId })),
    );
    expect(reconcileReplicated(service({}, 1), [...old, running], NOW, { historyLimit: 0 }).actions).toHaveLength(4);
    expect(reconcileReplicated(service({}, 1), [...old, running], NOW, { historyLimit: -1 }).actions).toEqual([]);
    const onNode = old.map((t) => ({ ...t, NodeID: 'a', Slot: undefined }));
    const g = service({ Mode: { Global: {} } });
    expect(
      reconcileGlobal(g, [...onNode, { ...running, NodeID: 'a', Slot: undefined }], [makeNode('a')], NOW, {
        historyLimit: 2,
      }).actions,
    ).toEqual(['o1', 'o0'].map((taskId) => ({ kind: 'delete', taskId })));
  });
});

describe('global services', () => {
  const nodes = [
    makeNode('a'),
    makeNode('b'),
    makeNode('m', { role: 'manager' }),
    makeNode('d', { availability: 'drain' }),
  ];
  const global = (constraints?: string[]) =>
    service({
      Mode: { Global: {} },
      TaskTemplate: {
        ContainerSpec: { Image: 'x' },
        Placement: constraints ? { Constraints: constraints } : undefined,
      },
    });

  test('one task per active node, none on drained nodes', () => {
    const r = reconcileGlobal(
      global(),
      [
        makeTask('ta', 'svc', { node: 'a', state: TaskState.RUNNING }),
        makeTask('td', 'svc', { node: 'd', state: TaskState.RUNNING }),
      ],
      nodes,
      NOW,
    );
    expect(r.actions).toEqual([
      { kind: 'shutdown', taskId: 'td', remove: false },
      { kind: 'create', nodeId: 'b' },
      { kind: 'create', nodeId: 'm' },
    ]);
  });

  test('constraints limit the nodes', () => {
    expect(reconcileGlobal(global(['node.role==manager']), [], nodes, NOW).actions).toEqual([
      { kind: 'create', nodeId: 'm' },
    ]);
  });
});
