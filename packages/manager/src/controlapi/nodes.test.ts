import { VersionConflictError } from '../store/errors';
import type { Node } from '../store/types';
import { localStore, makeNode } from '../testing/fixtures';
import { NodeIsManagerError, NodeNotDownError, NodeNotFoundError } from './errors';
import { NodeApi, type NodeMembership } from './nodes';

async function setup(nodes: Node[], raftMembers = ['m1']) {
  const store = localStore();
  await store.update((tx) => nodes.forEach((n) => tx.create('nodes', n)));
  const calls: string[] = [];
  const membership: NodeMembership = {
    selfId: 'm1',
    isRaftMember: (id) => raftMembers.includes(id),
    managerStatus: (n) => (n.Spec.Role === 'manager' ? { Reachability: 'reachable', Addr: `${n.ID}:2377` } : undefined),
    removeManager: async (id) => {
      calls.push(`removeManager ${id}`);
      raftMembers.splice(raftMembers.indexOf(id), 1);
    },
    barrier: async () => {
      calls.push('barrier');
    },
  };
  return { store, calls, api: new NodeApi(store, membership) };
}

const manager = (id: string) => makeNode(id, { role: 'manager', hostname: id });

describe('node inspect and ls', () => {
  test('by ID, hostname or unique ID prefix; not found otherwise', async () => {
    const { api } = await setup([makeNode('abc1', { hostname: 'vm1' }), makeNode('abd2', { hostname: 'vm2' })]);
    expect(api.inspect('abc1').ID).toBe('abc1');
    expect(api.inspect('vm2').ID).toBe('abd2');
    expect(api.inspect('abc').ID).toBe('abc1');
    expect(() => api.inspect('ab')).toThrow(new NodeNotFoundError('ab'));
    expect(() => api.inspect('nope')).toThrow('node nope not found');
  });

  test("ManagerStatus is Raft's live view, never the stored one", async () => {
    const stale = { ...makeNode('w1'), ManagerStatus: { Reachability: 'reachable' as const, Addr: 'old' } };
    const { api } = await setup([manager('m1'), stale]);
    expect(api.inspect('m1').ManagerStatus).toEqual({ Reachability: 'reachable', Addr: 'm1:2377' });
    expect(api.inspect('w1')).not.toHaveProperty('ManagerStatus');
    expect(api.list().map((n) => n.ID)).toEqual(['m1', 'w1']);
  });
});

describe('node update', () => {
  test('availability and labels; the version read must still be current', async () => {
    const { api, store } = await setup([makeNode('w1')]);
    const v = api.inspect('w1').Version.Index;
    await api.update('w1', v, { Role: 'worker', Availability: 'drain', Labels: { zone: 'a' } });
    expect(store.state.get('nodes', 'w1')?.Spec).toEqual({
      Role: 'worker',
      Availability: 'drain',
      Labels: { zone: 'a' },
    });
    await expect(api.update('w1', v, { Role: 'worker', Availability: 'active' })).rejects.toThrow(VersionConflictError);
    // Without labels in the body, the node has none (docker sends the whole spec).
    await api.update('w1', Number.NaN, { Role: 'worker', Availability: 'active' });
    expect(store.state.get('nodes', 'w1')?.Spec.Labels).toEqual({});
  });

  test('a malformed spec is refused before anything is read, naming the field', async () => {
    const { api } = await setup([makeNode('w1')]);
    await expect(api.update('nope', Number.NaN, { Role: 'boss', Availability: 'active' })).rejects.toThrow(
      /^invalid request body: Role: /,
    );
    await expect(api.update('nope', Number.NaN, { Role: 'worker', Availability: 'active' })).rejects.toThrow(
      'node nope not found',
    );
  });

  test('demotion leaves Raft first, then writes the node after a read barrier', async () => {
    const { api, store, calls } = await setup([manager('m1'), manager('m2')], ['m1', 'm2']);
    await api.update('m2', Number.NaN, { Role: 'worker', Availability: 'active' });
    expect(calls).toEqual(['removeManager m2', 'barrier']);
    expect(store.state.get('nodes', 'm2')?.Spec.Role).toBe('worker');
  });

  test('promotion is a store write only (the node joins Raft when it hears its role)', async () => {
    const { api, store, calls } = await setup([manager('m1'), makeNode('w1')]);
    await api.update('w1', Number.NaN, { Role: 'manager', Availability: 'active' });
    expect(calls).toEqual([]);
    expect(store.state.get('nodes', 'w1')?.Spec.Role).toBe('manager');
  });
});

describe('node rm', () => {
  test('a manager, this node or a Raft member must be demoted first', async () => {
    const { api } = await setup([manager('m1'), makeNode('w1', { state: 'down' })], ['m1', 'w1']);
    await expect(api.remove('m1')).rejects.toThrow(new NodeIsManagerError('m1'));
    await expect(api.remove('w1')).rejects.toThrow(
      'rpc error: node w1 is a cluster manager and is a member of the raft cluster. It must be demoted to worker before removal',
    );
  });

  test('a node that is not down needs --force', async () => {
    const { api, store } = await setup([manager('m1'), makeNode('w1'), makeNode('w2', { state: 'down' })]);
    const e: unknown = await api.remove('w1').catch((x: unknown) => x);
    expect(e).toEqual(new NodeNotDownError('w1'));
    expect((e as NodeNotDownError).status).toBe(400);
    await api.remove('w1', { force: true });
    await api.remove('w2');
    expect(store.state.list('nodes').map((n) => n.ID)).toEqual(['m1']);
  });
});
