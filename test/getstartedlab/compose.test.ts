// The lab's compose files (Parts 3 and 5) load through flotilla's compose loader into the
// service specs the tutorial expects: 5 web replicas capped at 0.1 CPU and 50 MiB on port 4000,
// and for Part 5 the visualizer and Redis pinned to managers, Redis reachable as `redis`.
// (Deep import: stack-cli does not export its compose loader from its index yet.)
import { join } from 'node:path';
import { loadStack } from '@flotilla/stack-cli';

const DIR = join(__dirname, '../../examples/getstartedlab');
const load = (file: string) => loadStack({ files: [join(DIR, file)], namespace: 'getstartedlab', env: {} });

function expectPart3Web(services: ReturnType<typeof load>['spec']['services']): void {
  const web = services.find((s) => s.Name === 'getstartedlab_web');
  expect(web).toMatchObject({
    TaskTemplate: {
      ContainerSpec: { Image: 'localhost:5000/get-started:part2' },
      Resources: { Limits: { NanoCPUs: 100_000_000, MemoryBytes: 50 * 1024 * 1024 } },
      RestartPolicy: { Condition: 'on-failure' },
      Networks: [{ Target: 'getstartedlab_webnet', Aliases: ['web'] }],
    },
    Mode: { Replicated: { Replicas: 5 } },
    EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 4000, PublishMode: 'ingress' }] },
  });
}

describe('getstartedlab compose files', () => {
  it('Part 3: docker-compose.yml is the web service and its network', () => {
    const { spec } = load('docker-compose.yml');
    expect(spec.services.map((s) => s.Name)).toEqual(['getstartedlab_web']);
    expectPart3Web(spec.services);
    expect(spec.networks.map((n) => n.Name)).toEqual(['getstartedlab_webnet']);
  });

  it('Part 5: docker-compose.part5.yml adds the visualizer and Redis on the manager', () => {
    const { spec } = load('docker-compose.part5.yml');
    expect(spec.services.map((s) => s.Name).sort()).toEqual([
      'getstartedlab_redis',
      'getstartedlab_visualizer',
      'getstartedlab_web',
    ]);
    expectPart3Web(spec.services);
    const redis = spec.services.find((s) => s.Name === 'getstartedlab_redis');
    expect(redis).toMatchObject({
      TaskTemplate: {
        ContainerSpec: {
          Image: 'redis',
          Args: ['redis-server', '--appendonly', 'yes'],
          Mounts: [{ Type: 'bind', Source: '/home/docker/data', Target: '/data' }],
        },
        Placement: { Constraints: ['node.role == manager'] },
        Networks: [{ Target: 'getstartedlab_webnet', Aliases: ['redis'] }],
      },
      EndpointSpec: { Ports: [{ TargetPort: 6379, PublishedPort: 6379 }] },
    });
    const visualizer = spec.services.find((s) => s.Name === 'getstartedlab_visualizer');
    expect(visualizer).toMatchObject({
      TaskTemplate: {
        ContainerSpec: {
          Image: 'flotilla/visualizer',
          Mounts: [{ Type: 'bind', Source: '/var/run/flotilla.sock', Target: '/var/run/flotilla.sock' }],
        },
        Placement: { Constraints: ['node.role == manager'] },
      },
      EndpointSpec: { Ports: [{ TargetPort: 8080, PublishedPort: 8080 }] },
    });
  });
});
