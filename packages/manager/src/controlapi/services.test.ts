import { TaskState } from '../store/types';
import { VersionConflictError } from '../store/errors';
import { localStore, makeNode, makeTask } from '../testing/fixtures';
import { LocalProposer, Store, TxBuilder } from '../store/store';
import { encodeTx } from '../store/ops';
import type { ServiceSpec } from '../types';
import { InvalidSpecError } from './errors';
import { ServiceApi } from './services';

function setup() {
  const store = localStore();
  return { store, api: new ServiceApi(store, () => Date.parse('2026-01-01T00:00:00Z')) };
}

const web = (replicas = 5, image = 'app:1', port = 4000): ServiceSpec => ({
  Name: 'lab_web',
  TaskTemplate: { ContainerSpec: { Image: image } },
  Mode: { Replicated: { Replicas: replicas } },
  EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: port, PublishMode: 'ingress' }] },
});

describe('service API', () => {
  test('create, then inspect by name, ID and ID prefix', async () => {
    const { api } = setup();
    const { ID } = await api.create(web());
    expect(api.inspect('lab_web').ID).toBe(ID);
    expect(api.inspect(ID.slice(0, 6)).Spec.Name).toBe('lab_web');
    expect(() => api.inspect('nope')).toThrow('service nope not found');
  });

  test('negative replicas, a missing image and a bad constraint are refused clearly', async () => {
    const { api } = setup();
    await expect(api.create(web(-1))).rejects.toThrow(
      'invalid replicas value for service lab_web: -1: replicas must be a non-negative integer',
    );
    await expect(api.create(web(1, ''))).rejects.toThrow('image reference must be provided');
    await expect(
      api.create({
        ...web(),
        TaskTemplate: { ContainerSpec: { Image: 'x' }, Placement: { Constraints: ['node.role = manager'] } },
      }),
    ).rejects.toThrow(/invalid constraint/);
  });

  test("endpoint modes: only vip and dnsrr; dnsrr has no VIP for an ingress port to balance to (docker's text)", async () => {
    const { api } = setup();
    await expect(
      api.create({ ...web(), EndpointSpec: { ...web().EndpointSpec, Mode: 'vipp' as 'vip' } }),
    ).rejects.toThrow('invalid endpoint mode "vipp": use vip or dnsrr');
    await expect(api.create({ ...web(), EndpointSpec: { ...web().EndpointSpec, Mode: 'dnsrr' } })).rejects.toThrow(
      "port published with ingress mode can't be used with dnsrr mode",
    );
    const hostPort = { Protocol: 'tcp' as const, TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' as const };
    await expect(api.create({ ...web(), EndpointSpec: { Mode: 'dnsrr', Ports: [hostPort] } })).resolves.toBeDefined();
  });

  test('two services cannot publish one ingress port', async () => {
    const { api } = setup();
    const { ID } = await api.create(web());
    await expect(api.create({ ...web(), Name: 'other' })).rejects.toThrow(
      `port '4000' is already in use by service 'lab_web' (${ID}) as an ingress port`,
    );
  });

  test('an ingress port without a number gets one from 30000-32767', async () => {
    const { api } = setup();
    await api.create({
      ...web(),
      EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishMode: 'ingress' }] },
    });
    expect(api.inspect('lab_web').Endpoint!.Ports![0]!.PublishedPort).toBe(30000);
  });

  test('scaling is not an update; a new image is, and keeps the previous spec for rollback', async () => {
    const { api } = setup();
    await api.create(web(5));
    const v = api.inspect('lab_web').Version.Index;
    await api.update('lab_web', v, web(2));
    const scaled = api.inspect('lab_web');
    expect(scaled.UpdateStatus).toBeUndefined();
    await api.update('lab_web', scaled.Version.Index, web(2, 'app:2'));
    const updated = api.inspect('lab_web');
    expect(updated.UpdateStatus?.State).toBe('updating');
    expect(updated.PreviousSpec?.TaskTemplate.ContainerSpec.Image).toBe('app:1');
    await api.update('lab_web', updated.Version.Index, updated.Spec, { rollback: true });
    expect(api.inspect('lab_web').Spec.TaskTemplate.ContainerSpec.Image).toBe('app:1');
    expect(api.inspect('lab_web').UpdateStatus?.State).toBe('rollback_started');
  });

  test('an out-of-sequence update is refused', async () => {
    const { api } = setup();
    await api.create(web());
    const v = api.inspect('lab_web').Version.Index;
    await api.update('lab_web', v, web(3));
    await expect(api.update('lab_web', v, web(4))).rejects.toThrow(VersionConflictError);
    await expect(api.update('lab_web', v, web(4))).rejects.toThrow(/update out of sequence/);
  });

  test('remove deletes the service and marks its tasks for removal', async () => {
    const { api, store } = setup();
    const { ID } = await api.create(web(1));
    await store.update((tx) => tx.create('tasks', makeTask('t1', ID, { slot: 1, state: TaskState.RUNNING })));
    await api.remove('lab_web');
    expect(store.state.get('services', ID)).toBeUndefined();
    expect(store.state.get('tasks', 't1')!.DesiredState).toBe(TaskState.REMOVE);
  });
});

describe('service rm while the dispatcher writes', () => {
  test('a task changed between the read and the commit does not fail the removal', async () => {
    const p = new LocalProposer();
    const store = new Store(p);
    p.store = store;
    const api = new ServiceApi(store);
    const { ID } = await api.create(web3());
    await store.update((tx) => tx.create('tasks', makeTask('t1', ID, { slot: 1, state: TaskState.RUNNING })));
    // The next proposal is preceded by a status report that bumps t1's version, twice.
    let reports = 2;
    const propose = p.propose.bind(p);
    p.propose = async (data) => {
      if (reports-- > 0) {
        const t = store.state.get('tasks', 't1')!;
        const report = new TxBuilder(store.state);
        report.update('tasks', { ...t });
        await propose(encodeTx({ ops: report.ops, at: new Date().toISOString() }));
      }
      return propose(data);
    };
    await api.remove('lab_web');
    expect(store.state.get('services', ID)).toBeUndefined();
    expect(store.state.get('tasks', 't1')!.DesiredState).toBe(TaskState.REMOVE);
  });
});

describe('service API: bodies as sent', () => {
  test('the body is checked before the store, each refusal naming the field (400)', async () => {
    const { api, store } = setup();
    const refused = async (body: unknown) => {
      const e: unknown = await api.create(body).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(InvalidSpecError);
      expect((e as InvalidSpecError).status).toBe(400);
      return (e as Error).message;
    };
    expect(await refused({})).toBe('invalid request body: Name: Invalid input: expected string, received undefined');
    expect(await refused(null)).toMatch(/^invalid request body: body: /);
    expect(await refused({ Name: 'x', TaskTemplate: { ContainerSpec: { Image: 1 } } })).toMatch(
      /^invalid request body: TaskTemplate\.ContainerSpec\.Image: /,
    );
    expect(await refused({ Name: 'x', TaskTemplate: { ContainerSpec: { Image: 'a' } }, Mode: { Replicated: 3 } })).toBe(
      'invalid request body: Mode: Invalid input',
    );
    expect(
      await refused({
        Name: 'x',
        TaskTemplate: { ContainerSpec: { Image: 'a' } },
        Mode: { Replicated: { Replicas: 'x' } },
      }),
    ).toBe('invalid request body: Mode: Invalid input');
    expect(store.state.list('services')).toEqual([]);
  });

  test('fields the manager does not act on are kept as sent; the mode defaults to one replica', async () => {
    const { api } = setup();
    await api.create({ Name: 'x', TaskTemplate: { ContainerSpec: { Image: 'a', Custom: 1 } }, Other: 'kept' });
    const s = api.inspect('x');
    expect(s.Spec.Mode).toEqual({ Replicated: { Replicas: 1 } });
    expect(s.Spec.TaskTemplate.ContainerSpec).toEqual({ Image: 'a', Custom: 1 });
    expect((s.Spec as unknown as Record<string, unknown>).Other).toBe('kept');
  });
});

describe('service modes as clients send them', () => {
  test.each([
    ['the docker CLI without --replicas', { Replicated: {} }, { Replicated: { Replicas: 1 } }],
    ['Replicas null', { Replicated: { Replicas: null } }, { Replicated: { Replicas: 1 } }],
    ['docker-py ServiceMode("replicated")', { replicated: {} }, { Replicated: { Replicas: 1 } }],
    ['docker-py ServiceMode("replicated", 3)', { replicated: { Replicas: 3 } }, { Replicated: { Replicas: 3 } }],
    ['any case, like Go', { REPLICATED: { replicas: 2 } }, { Replicated: { Replicas: 2 } }],
    ['docker-py ServiceMode("global")', { global: {} }, { Global: {} }],
    ['Mode null', null, { Replicated: { Replicas: 1 } }],
  ])('%s', async (_what, mode, stored) => {
    const { api } = setup();
    await api.create({ Name: 'x', TaskTemplate: { ContainerSpec: { Image: 'a' } }, Mode: mode });
    expect(api.inspect('x').Spec.Mode).toEqual(stored);
  });
});

describe('service ls', () => {
  test('filters by name, id, mode and label; --status counts running tasks on ready nodes', async () => {
    const { api, store } = setup();
    const { ID: web } = await api.create({ ...web3(), Labels: { tier: 'front' } });
    await api.create({ Name: 'agent', TaskTemplate: { ContainerSpec: { Image: 'a' } }, Mode: { Global: {} } });
    await store.update((tx) => {
      tx.create('nodes', makeNode('n1'));
      tx.create('nodes', makeNode('n2', { state: 'down' }));
      tx.create('tasks', makeTask('t1', web, { slot: 1, node: 'n1', state: TaskState.RUNNING }));
      tx.create('tasks', makeTask('t2', web, { slot: 2, node: 'n2', state: TaskState.RUNNING }));
      tx.create('tasks', makeTask('t3', web, { slot: 3, node: 'n1', state: TaskState.COMPLETE }));
    });
    const names = (f?: Record<string, string[]>) => api.list(f).map((s) => s.Spec.Name);
    expect(names().sort()).toEqual(['agent', 'lab_web']);
    expect(names({ name: ['lab_web'] })).toEqual(['lab_web']);
    // docker matches names and IDs by prefix (swarmkit's NamePrefixes, IDPrefixes).
    expect(names({ name: ['lab'] })).toEqual(['lab_web']);
    expect(names({ name: ['lab_web2'] })).toEqual([]);
    expect(names({ name: ['ag', 'lab_'] }).sort()).toEqual(['agent', 'lab_web']);
    expect(names({ id: [web.slice(0, 5)] })).toEqual(['lab_web']);
    expect(names({ id: [web] })).toEqual(['lab_web']);
    expect(names({ mode: ['global'] })).toEqual(['agent']);
    expect(names({ label: ['tier=front'] })).toEqual(['lab_web']);
    expect(names({ label: ['tier=back'] })).toEqual([]);
    expect(api.list({ name: ['lab_web'] })[0]?.ServiceStatus).toBeUndefined();
    expect(api.list({ name: ['lab_web'] }, { status: true })[0]?.ServiceStatus).toEqual({
      RunningTasks: 1,
      DesiredTasks: 3,
      CompletedTasks: 1,
    });
  });
});

function web3(): ServiceSpec {
  return {
    Name: 'lab_web',
    TaskTemplate: { ContainerSpec: { Image: 'app:1' } },
    Mode: { Replicated: { Replicas: 3 } },
  };
}
