import { makeTask } from '../testing/fixtures';
import { LocalProposer, Store } from './store';
import { NameConflictError, VersionConflictError } from './errors';
import type { ChangeEvent } from './state';
import type { Service } from './types';

function newStore() {
  const p = new LocalProposer();
  const s = new Store(p);
  p.store = s;
  return s;
}

const svc = (id: string, name: string): Service => ({
  ID: id,
  Version: { Index: 0 },
  CreatedAt: '',
  UpdatedAt: '',
  Spec: { Name: name, TaskTemplate: { ContainerSpec: { Image: 'x' } }, Mode: { Replicated: { Replicas: 1 } } },
});

describe('store', () => {
  test('one update = one entry; Version.Index is the entry index; watchers see changes', async () => {
    const s = newStore();
    const seen: ChangeEvent[][] = [];
    s.on('change', (e) => seen.push(e));
    await s.update((tx) => {
      tx.create('services', svc('s1', 'web'));
      tx.create('tasks', makeTask('t1', 's1'));
    });
    expect(s.state.get('services', 's1')!.Version.Index).toBe(1);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.map((e) => `${e.kind} ${e.table}`)).toEqual(['create services', 'create tasks']);
  });

  test('optimistic concurrency: a stale version is refused and nothing of the tx is applied', async () => {
    const s = newStore();
    await s.update((tx) => tx.create('services', svc('s1', 'web')));
    const stale = s.state.get('services', 's1')!;
    await s.update((tx) => tx.update('services', { ...stale, Spec: { ...stale.Spec, Labels: { a: '1' } } }));
    await expect(
      s.update((tx) => {
        tx.create('tasks', makeTask('t9', 's1'));
        tx.update('services', { ...stale, Spec: { ...stale.Spec, Labels: { b: '2' } } });
      }),
    ).rejects.toThrow(VersionConflictError);
    expect(s.state.get('tasks', 't9')).toBeUndefined();
    expect(s.state.get('services', 's1')!.Spec.Labels).toEqual({ a: '1' });
  });

  test('service names are unique', async () => {
    const s = newStore();
    await s.update((tx) => tx.create('services', svc('s1', 'web')));
    await expect(s.update((tx) => tx.create('services', svc('s2', 'web')))).rejects.toThrow(NameConflictError);
  });

  test('snapshot and restore reproduce the state', async () => {
    const s = newStore();
    await s.update((tx) => tx.create('services', svc('s1', 'web')));
    const t = newStore();
    t.restore(s.snapshot(), s.applied);
    expect(t.state.get('services', 's1')).toEqual(s.state.get('services', 's1'));
  });
});
