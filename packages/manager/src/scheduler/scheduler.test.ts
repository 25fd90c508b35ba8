import { makeNode, makeTask } from '../testing/fixtures';
import { TaskState } from '../store/types';
import { parseConstraint } from './constraints';
import { schedule } from './scheduler';

const countBy = (m: Map<string, string>) => {
  const c: Record<string, number> = {};
  for (const n of m.values()) c[n] = (c[n] ?? 0) + 1;
  return c;
};

describe('scheduler: spread', () => {
  test('replicas spread evenly: fewest tasks of the service first', () => {
    const nodes = ['a', 'b', 'c'].map((id) => makeNode(id));
    const pending = Array.from({ length: 6 }, (_, i) => makeTask(`t${i}`, 'web', { slot: i + 1 }));
    const r = schedule(nodes, pending, pending);
    expect(countBy(r.assigned)).toEqual({ a: 2, b: 2, c: 2 });
  });

  test('existing tasks count: new replicas go where the service has fewest', () => {
    const nodes = ['a', 'b'].map((id) => makeNode(id));
    const existing = [
      makeTask('e1', 'web', { node: 'a', state: TaskState.RUNNING }),
      makeTask('e2', 'web', { node: 'a', state: TaskState.RUNNING }),
    ];
    const pending = [makeTask('n1', 'web'), makeTask('n2', 'web')];
    expect(countBy(schedule(nodes, [...existing, ...pending], pending).assigned)).toEqual({ b: 2 });
  });

  test('terminal tasks and tasks desired to stop do not count', () => {
    const nodes = ['a', 'b'].map((id) => makeNode(id));
    const old = [
      makeTask('x', 'web', { node: 'a', state: TaskState.FAILED }),
      makeTask('y', 'web', { node: 'a', state: TaskState.RUNNING, desired: TaskState.SHUTDOWN }),
    ];
    const pending = [makeTask('n1', 'web'), makeTask('n2', 'web')];
    expect(countBy(schedule(nodes, [...old, ...pending], pending).assigned)).toEqual({ a: 1, b: 1 });
  });
});

describe('scheduler: filters', () => {
  test('down, paused and drained nodes get nothing', () => {
    const nodes = [
      makeNode('a', { state: 'down' }),
      makeNode('b', { availability: 'drain' }),
      makeNode('c', { availability: 'pause' }),
      makeNode('d'),
    ];
    const pending = [makeTask('t', 'web'), makeTask('u', 'web')];
    expect(countBy(schedule(nodes, pending, pending).assigned)).toEqual({ d: 2 });
  });

  test('constraints: node.role, node.labels, node.hostname, !=', () => {
    const nodes = [
      makeNode('m', { role: 'manager' }),
      makeNode('w1', { labels: { zone: 'east' } }),
      makeNode('w2', { hostname: 'edge' }),
    ];
    const on = (c: string) => {
      const t = makeTask('t', 's', { spec: { Placement: { Constraints: [c] } } });
      return schedule(nodes, [t], [t]).assigned.get('t');
    };
    expect(on('node.role == manager')).toBe('m');
    expect(on('node.labels.zone==east')).toBe('w1');
    expect(on('node.hostname == edge')).toBe('w2');
    const t = makeTask('t', 's', {
      spec: { Placement: { Constraints: ['node.role != manager', 'node.labels.zone != east'] } },
    });
    expect(schedule(nodes, [t], [t]).assigned.get('t')).toBe('w2');
  });

  test("an unsatisfiable constraint says why, in docker's words", () => {
    const nodes = [makeNode('a'), makeNode('b', { state: 'down' })];
    const t = makeTask('t', 's', { spec: { Placement: { Constraints: ['node.role==manager'] } } });
    expect(schedule(nodes, [t], [t]).failed.get('t')).toBe(
      'no suitable node (1 node not available for new tasks; scheduling constraints not satisfied on 1 node)',
    );
  });

  test('reservations are checked against node resources', () => {
    const nodes = [makeNode('a', { cpus: 1 }), makeNode('b', { cpus: 1 })];
    const spec = { Resources: { Reservations: { NanoCPUs: 0.6e9 } } };
    const pending = ['t1', 't2', 't3'].map((id) => makeTask(id, 's', { spec }));
    const r = schedule(nodes, pending, pending);
    expect(r.assigned.size).toBe(2);
    expect(r.failed.get('t3')).toBe('no suitable node (insufficient resources on 2 nodes)');
  });

  test('host-mode ports: never two tasks on one port of one node', () => {
    const nodes = [makeNode('a'), makeNode('b')];
    const pending = ['t1', 't2', 't3'].map((id) => makeTask(id, 's', { hostPorts: [8080] }));
    const r = schedule(nodes, pending, pending);
    expect(countBy(r.assigned)).toEqual({ a: 1, b: 1 });
    expect(r.failed.get('t3')).toMatch(/host-mode port already in use on 2 nodes/);
  });

  test('max_replicas_per_node', () => {
    const nodes = [makeNode('a'), makeNode('b')];
    const spec = { Placement: { MaxReplicas: 1 } };
    const pending = ['t1', 't2', 't3'].map((id) => makeTask(id, 's', { spec }));
    const r = schedule(nodes, pending, pending);
    expect(r.assigned.size).toBe(2);
    expect(r.failed.get('t3')).toMatch(/max replicas per node limit exceed on 2 nodes/);
  });

  test('an invalid constraint fails the task with the parse error', () => {
    const t = makeTask('t', 's', { spec: { Placement: { Constraints: ['node.colour == red'] } } });
    expect(schedule([makeNode('a')], [t], [t]).failed.get('t')).toMatch(
      /invalid constraint "node.colour == red": unknown key/,
    );
    expect(() => parseConstraint('node.role')).toThrow(/expected KEY==VALUE/);
  });
});

describe('scheduler: placement preferences', () => {
  test('spread over label values first, then over nodes', () => {
    const nodes = [
      makeNode('e1', { labels: { zone: 'east' } }),
      makeNode('e2', { labels: { zone: 'east' } }),
      makeNode('w1', { labels: { zone: 'west' } }),
    ];
    const spec = { Placement: { Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }] } };
    const pending = Array.from({ length: 4 }, (_, i) => makeTask(`t${i}`, 's', { spec }));
    const c = countBy(schedule(nodes, pending, pending).assigned);
    expect(c.w1).toBe(2);
    expect((c.e1 ?? 0) + (c.e2 ?? 0)).toBe(2);
    expect(c.e1).toBe(1);
  });
});

describe('scheduler: scale', () => {
  test('10,000 replicas on 1,000 nodes: all assigned, evenly', () => {
    const nodes = Array.from({ length: 1000 }, (_, i) => makeNode(`n${String(i).padStart(4, '0')}`));
    const pending = Array.from({ length: 10_000 }, (_, i) => makeTask(`t${i}`, 'web', { slot: i + 1 }));
    const r = schedule(nodes, pending, pending);
    expect(r.assigned.size).toBe(10_000);
    expect(new Set(Object.values(countBy(r.assigned)))).toEqual(new Set([10]));
  });
});

describe('scheduler: global tasks', () => {
  test('a task that comes with its node goes to that node, whatever the spread would pick', () => {
    const nodes = ['a', 'b', 'c'].map((id) => makeNode(id));
    // Node a has the most tasks, so spreading would never choose it first.
    const busy = Array.from({ length: 3 }, (_, i) =>
      makeTask(`busy${i}`, 'other', { node: 'a', state: TaskState.RUNNING }),
    );
    const pending = ['c', 'a', 'b'].map((n) => makeTask(`g-${n}`, 'global', { node: n, state: TaskState.PENDING }));
    const r = schedule(nodes, [...busy, ...pending], pending);
    expect(Object.fromEntries(r.assigned)).toEqual({ 'g-a': 'a', 'g-b': 'b', 'g-c': 'c' });
    expect(r.failed.size).toBe(0);
  });

  test('its node drained, down or out of resources: it fails with the reason, and no other node takes it', () => {
    const nodes = [
      makeNode('a', { availability: 'drain' }),
      makeNode('b', { state: 'down' }),
      makeNode('c', { cpus: 1 }),
      makeNode('d'),
    ];
    const spec = { ContainerSpec: { Image: 'x' }, Resources: { Reservations: { NanoCPUs: 2e9 } } };
    const pending = ['a', 'b', 'c'].map((n) =>
      makeTask(`g-${n}`, 'global', { node: n, state: TaskState.PENDING, spec }),
    );
    const r = schedule(nodes, pending, pending);
    expect(r.assigned.size).toBe(0);
    expect(r.failed.get('g-a')).toBe('no suitable node (1 node not available for new tasks)');
    expect(r.failed.get('g-b')).toBe('no suitable node (1 node not available for new tasks)');
    expect(r.failed.get('g-c')).toBe('no suitable node (insufficient resources on 1 node)');
  });
});
