// Single-node swarm end to end below the HTTP API: swarm init, a replicated service of real runc
// containers on a stack network, the routing mesh spreading connections over the replicas,
// scaling without touching the survivors, and leave --force cleaning up.
import { get } from './http-get';
import { TaskState, type ServiceSpec } from '@flotilla/manager';
import { freePort } from '../engine/harness';
import { until } from './until';
import { startNode, stopNode, type TestNode } from './node-fixture';

jest.setTimeout(120_000);

let n: TestNode;

beforeAll(async () => {
  n = await startNode({ prefix: 'swarm-node', imageTag: 'web:latest', heartbeatPeriodMs: 500 });
});

afterAll(async () => {
  await stopNode(n);
});

test('swarm init, deploy 3 replicas behind the mesh, scale to 1 in place, leave --force', async () => {
  const { node, networks, containers } = n;
  const clusterPort = await freePort();
  await node.init({ ListenAddr: `127.0.0.1:${clusterPort}`, AdvertiseAddr: `127.0.0.1:${clusterPort}` });
  const mgr = node.requireManager();
  await until(
    () => mgr.store.state.list('nodes')[0]?.Status.State,
    (s) => s === 'ready',
    'node ready',
  );

  const port = await freePort();
  const spec = (replicas: number): ServiceSpec => ({
    Name: 'lab_web',
    Labels: { 'com.docker.stack.namespace': 'lab' },
    TaskTemplate: {
      ContainerSpec: {
        Image: 'web:latest',
        Args: ['sh', '-c', 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www'],
        StopGracePeriod: 1e9,
      },
      Networks: [{ Target: 'lab_webnet', Aliases: ['web'] }],
    },
    Mode: { Replicated: { Replicas: replicas } },
    EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: port, PublishMode: 'ingress' }] },
  });
  await mgr.services.create(spec(3));
  const running = () =>
    mgr.store.state
      .list('tasks')
      .filter((t) => t.Status.State === TaskState.RUNNING && t.DesiredState === TaskState.RUNNING);
  await until(running, (r) => r.length === 3, '3 running');
  expect((await networks.list()).find((n) => n.Name === 'lab_webnet')).toMatchObject({
    Driver: 'overlay',
    Scope: 'swarm',
  });

  const hostnames = new Set<string>();
  await until(
    async () => {
      for (let i = 0; i < 6; i++) hostnames.add(await get(port).catch(() => ''));
      hostnames.delete('');
      return hostnames.size;
    },
    (n) => n === 3,
    'all 3 replicas answering through the mesh',
  );
  const containerIds = new Set(running().map((t) => t.Status.ContainerStatus!.ContainerID!));
  for (const h of hostnames) expect([...containerIds].some((id) => id.startsWith(h))).toBe(true);

  const svc = mgr.services.inspect('lab_web');
  await mgr.services.update('lab_web', svc.Version.Index, spec(1));
  await until(running, (r) => r.length === 1, 'scaled to 1');
  expect(containerIds.has(running()[0]!.Status.ContainerStatus!.ContainerID!)).toBe(true);
  const only = (await get(port)).trim();
  expect(running()[0]!.Status.ContainerStatus!.ContainerID!.startsWith(only)).toBe(true);

  await node.leave(true);
  expect(node.active).toBe(false);
  await until(
    () => containers.list({ all: true }).length,
    (n) => n === 0,
    'task containers removed',
  );
  await expect(get(port)).rejects.toThrow();
});
