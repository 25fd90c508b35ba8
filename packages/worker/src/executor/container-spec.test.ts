import { TaskState, type Task } from '@flotilla/manager';
import { containerRequest, taskContainerName } from './container-spec';

const task = (
  spec: Partial<Task['Spec']> = {},
  ports: NonNullable<NonNullable<Task['Endpoint']>['Spec']['Ports']> = [],
): Task => ({
  ID: 'tid',
  Version: { Index: 1 },
  CreatedAt: '',
  UpdatedAt: '',
  ServiceID: 'sid',
  Slot: 3,
  NodeID: 'nid',
  Spec: {
    ContainerSpec: {
      Image: 'app',
      Command: ['/entry'],
      Args: ['a', 'b'],
      Env: ['X=1'],
      StopGracePeriod: 2.5e9,
      Hosts: ['10.1.2.3 db cache'],
    },
    Resources: { Limits: { NanoCPUs: 1e8, MemoryBytes: 52428800, Pids: 50 } },
    ...spec,
  },
  SpecVersion: { Index: 1 },
  Status: { Timestamp: '', State: TaskState.ASSIGNED, Message: '' },
  DesiredState: TaskState.RUNNING,
  Endpoint: { Spec: { Ports: ports } },
});

test('a task becomes a docker create request: entrypoint/cmd, limits, labels, stop timeout, hosts', () => {
  const r = containerRequest(task(), { serviceName: 'lab_web', network: 'lab_webnet', aliases: ['web'] });
  expect(r).toMatchObject({
    Image: 'app',
    Entrypoint: ['/entry'],
    Cmd: ['a', 'b'],
    Env: ['X=1'],
    StopTimeout: 3,
    HostConfig: {
      NetworkMode: 'lab_webnet',
      NanoCpus: 1e8,
      Memory: 52428800,
      PidsLimit: 50,
      ExtraHosts: ['db:10.1.2.3', 'cache:10.1.2.3'],
      RestartPolicy: { Name: 'no' },
    },
    NetworkingConfig: { EndpointsConfig: { lab_webnet: { Aliases: ['web'] } } },
  });
  expect(r.Labels).toMatchObject({
    'com.docker.swarm.task.id': 'tid',
    'com.docker.swarm.service.name': 'lab_web',
    'com.docker.swarm.task.name': 'lab_web.3',
  });
  expect(taskContainerName(task(), 'lab_web')).toBe('lab_web.3.tid');
});

test('host-mode ports bind on the node; ingress ports do not', () => {
  const r = containerRequest(
    task({}, [
      { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' },
      { Protocol: 'tcp', TargetPort: 81, PublishedPort: 4000, PublishMode: 'ingress' },
    ]),
    { serviceName: 's', network: null, aliases: [] },
  );
  expect(r.HostConfig?.PortBindings).toEqual({ '80/tcp': [{ HostIp: '', HostPort: '8080' }] });
  expect(r.ExposedPorts).toEqual({ '80/tcp': {} });
});
