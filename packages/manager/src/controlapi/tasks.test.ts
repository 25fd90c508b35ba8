import { TaskState } from '../store/types';
import { localStore, makeNode, makeTask } from '../testing/fixtures';
import { TaskNotFoundError } from './errors';
import { ServiceApi } from './services';
import { TaskApi } from './tasks';

async function setup() {
  const store = localStore();
  const services = new ServiceApi(store);
  const { ID: web } = await services.create({ Name: 'web', TaskTemplate: { ContainerSpec: { Image: 'a' } } });
  const { ID: db } = await services.create({
    Name: 'db',
    Labels: { 'com.docker.stack.namespace': 'lab' },
    TaskTemplate: { ContainerSpec: { Image: 'b' } },
  });
  await store.update((tx) => {
    tx.create('nodes', makeNode('n1', { hostname: 'vm1' }));
    tx.create('tasks', makeTask('t1', web, { slot: 1, node: 'n1', state: TaskState.RUNNING }));
    tx.create(
      'tasks',
      makeTask('t2', web, { slot: 1, node: 'n1', state: TaskState.SHUTDOWN, desired: TaskState.SHUTDOWN }),
    );
    tx.create('tasks', makeTask('t3', db, { slot: 1, node: 'n2' }));
  });
  return { api: new TaskApi(store), web, db };
}

describe('task inspect and ls', () => {
  test('inspect takes the full task ID', async () => {
    const { api } = await setup();
    expect(api.inspect('t1').ID).toBe('t1');
    expect(() => api.inspect('t')).toThrow(new TaskNotFoundError('t'));
    expect(() => api.inspect('t')).toThrow('task t not found');
  });

  test("inspect takes a prefix of one task's ID, as docker's service logs <task> sends it", async () => {
    const { api } = await setup();
    expect(api.inspect('t3').ID).toBe('t3');
    const store = localStore();
    await store.update((tx) => {
      tx.create('tasks', makeTask('abcdef123456zzz', 'svc', { slot: 1 }));
      tx.create('tasks', makeTask('abxyz', 'svc', { slot: 2 }));
    });
    const two = new TaskApi(store);
    expect(two.inspect('abcdef123456').ID).toBe('abcdef123456zzz');
    expect(() => two.inspect('ab')).toThrow(TaskNotFoundError);
    expect(() => two.inspect('')).toThrow(TaskNotFoundError);
  });

  test('service filter by name, ID or ID prefix', async () => {
    const { api, web } = await setup();
    const ids = (f?: Record<string, string[]>) => api.list(f).map((t) => t.ID);
    expect(ids()).toEqual(['t1', 't2', 't3']);
    expect(ids({ service: ['web'] })).toEqual(['t1', 't2']);
    expect(ids({ service: [web] })).toEqual(['t1', 't2']);
    expect(ids({ service: [web.slice(0, 8)] })).toEqual(['t1', 't2']);
    expect(ids({ service: ['nope'] })).toEqual([]);
  });

  test('node (ID or hostname), id, name and desired-state filters', async () => {
    const { api } = await setup();
    const ids = (f?: Record<string, string[]>) => api.list(f).map((t) => t.ID);
    expect(ids({ node: ['vm1'] })).toEqual(['t1', 't2']);
    expect(ids({ node: ['n2'] })).toEqual(['t3']);
    expect(ids({ id: ['t2'] })).toEqual(['t2']);
    expect(ids({ name: ['db.1'] })).toEqual(['t3']);
    expect(ids({ name: ['db.'] })).toEqual(['t3']);
    expect(ids({ name: ['db.2'] })).toEqual([]);
    expect(ids({ label: ['com.docker.stack.namespace=lab'] })).toEqual(['t3']);
    expect(ids({ label: ['com.docker.stack.namespace'] })).toEqual(['t3']);
    expect(ids({ label: ['com.docker.stack.namespace=other'] })).toEqual([]);
    expect(ids({ 'desired-state': ['running'] })).toEqual(['t1', 't3']);
    expect(ids({ 'desired-state': ['shutdown', 'running'] })).toEqual(['t1', 't2', 't3']);
    expect(ids({ 'desired-state': ['nonsense'] })).toEqual([]);
    expect(ids({ color: ['blue'] })).toEqual(['t1', 't2', 't3']);
  });
});
