import { LocalProposer, Store } from '../store/store';
import { TaskState } from '../store/types';
import { VersionConflictError } from '../store/errors';
import { makeTask } from '../testing/fixtures';
import { ServiceApi } from './services';
import type { ServiceSpec } from './types';

function setup() {
  const p = new LocalProposer();
  const store = new Store(p);
  p.store = store;
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
