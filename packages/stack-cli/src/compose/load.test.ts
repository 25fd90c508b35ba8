import { ComposeError } from './errors';
import { loadStack } from './load';

const part3 = `version: "3"
services:
  web:
    image: username/repo:tag
    deploy:
      replicas: 5
      resources:
        limits:
          cpus: "0.1"
          memory: 50M
      restart_policy:
        condition: on-failure
    ports:
      - "4000:80"
    networks:
      - webnet
networks:
  webnet:
`;

function load(
  files: Record<string, string>,
  names = Object.keys(files).filter((f) => f !== '.env'),
  env: Record<string, string> = {},
) {
  return loadStack({
    files: names,
    namespace: 'getstartedlab',
    cwd: '/lab',
    env,
    readFile: (p) => {
      const rel = p.replace(/^\/lab\//, '');
      if (!(rel in files)) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
      return files[rel]!;
    },
  });
}

function errorOf(fn: () => unknown): ComposeError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ComposeError) return e;
    throw e;
  }
  throw new Error('expected a ComposeError');
}

describe('the getstarted Part 3 compose file', () => {
  const { spec, warnings } = load({ 'docker-compose.yml': part3 });
  const web = spec.services[0]!;

  test('becomes getstartedlab_web with 5 replicas, limits, restart policy and the mesh port', () => {
    expect(warnings).toEqual([]);
    expect(web.Name).toBe('getstartedlab_web');
    expect(web.Mode).toEqual({ Replicated: { Replicas: 5 } });
    expect(web.TaskTemplate.Resources?.Limits).toEqual({ NanoCPUs: 100_000_000, MemoryBytes: 50 * 1024 * 1024 });
    expect(web.TaskTemplate.RestartPolicy).toEqual({ Condition: 'on-failure' });
    expect(web.EndpointSpec).toEqual({
      Mode: 'vip',
      Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 4000, PublishMode: 'ingress' }],
    });
    expect(web.Labels).toEqual({ 'com.docker.stack.namespace': 'getstartedlab' });
    expect(web.TaskTemplate.ContainerSpec.Labels).toEqual({ 'com.docker.stack.namespace': 'getstartedlab' });
  });

  test('its network is created per stack with the overlay driver', () => {
    expect(spec.networks).toEqual([
      {
        Name: 'getstartedlab_webnet',
        Driver: 'overlay',
        Attachable: false,
        Internal: false,
        Labels: { 'com.docker.stack.namespace': 'getstartedlab' },
        Options: {},
      },
    ]);
    expect(web.TaskTemplate.Networks).toEqual([{ Target: 'getstartedlab_webnet', Aliases: ['web'] }]);
  });
});

describe('compose features', () => {
  test('a service with no networks gets <stack>_default', () => {
    const { spec } = load({ 'c.yml': 'services:\n  a:\n    image: x\n' });
    expect(spec.networks.map((n) => n.Name)).toEqual(['getstartedlab_default']);
    expect(spec.services[0]!.Mode).toEqual({ Replicated: { Replicas: 1 } });
  });

  test('deploy.endpoint_mode: vip by default, dnsrr when asked; a network alias is the short service name', () => {
    const { spec } = load({
      'c.yml': 'services:\n  web:\n    image: x\n  db:\n    image: y\n    deploy:\n      endpoint_mode: dnsrr\n',
    });
    const byName = Object.fromEntries(spec.services.map((s) => [s.Name, s]));
    expect(byName['getstartedlab_web']!.EndpointSpec?.Mode).toBe('vip');
    expect(byName['getstartedlab_db']!.EndpointSpec?.Mode).toBe('dnsrr');
    expect(byName['getstartedlab_db']!.TaskTemplate.Networks).toEqual([
      { Target: 'getstartedlab_default', Aliases: ['db'] },
    ]);
  });

  test('command and entrypoint: strings are split like a shell, lists kept', () => {
    const { spec } = load({
      'c.yml': `services:\n  r:\n    image: redis\n    command: redis-server --appendonly yes --name "a b"\n    entrypoint: ["/bin/sh", "-c"]\n`,
    });
    expect(spec.services[0]!.TaskTemplate.ContainerSpec.Args).toEqual([
      'redis-server',
      '--appendonly',
      'yes',
      '--name',
      'a b',
    ]);
    expect(spec.services[0]!.TaskTemplate.ContainerSpec.Command).toEqual(['/bin/sh', '-c']);
  });

  test('environment list or map, env_file, shell pass-through; sorted', () => {
    const { spec } = load(
      {
        'c.yml':
          'services:\n  a:\n    image: x\n    env_file: app.env\n    environment:\n      B: 2\n      FROM_SHELL:\n      UNSET:\n',
        'app.env': 'A=1\nB=1\n',
      },
      ['c.yml'],
      { FROM_SHELL: 'yes' },
    );
    expect(spec.services[0]!.TaskTemplate.ContainerSpec.Env).toEqual(['A=1', 'B=2', 'FROM_SHELL=yes']);
  });

  test('interpolation from .env beside the file, the shell winning', () => {
    const files = {
      'c.yml': 'services:\n  a:\n    image: "app:${TAG}"\n    deploy:\n      replicas: ${N:-3}\n',
      '.env': 'TAG=fromdotenv\nN=2\n',
    };
    expect(load(files).spec.services[0]!.TaskTemplate.ContainerSpec.Image).toBe('app:fromdotenv');
    expect(load(files, ['c.yml'], { TAG: 'fromshell' }).spec.services[0]!.TaskTemplate.ContainerSpec.Image).toBe(
      'app:fromshell',
    );
  });

  test('replicas from interpolation stay numbers when YAML says so', () => {
    const { spec } = load({ 'c.yml': 'services:\n  a:\n    image: x\n    deploy:\n      replicas: 2\n' });
    expect(spec.services[0]!.Mode).toEqual({ Replicated: { Replicas: 2 } });
  });

  test('ports: short, ranges, udp, long syntax with host mode', () => {
    const { spec } = load({
      'c.yml':
        'services:\n  a:\n    image: x\n    ports:\n      - 80\n      - "8000-8001:90-91/udp"\n      - target: 443\n        published: 8443\n        mode: host\n',
    });
    expect(spec.services[0]!.EndpointSpec!.Ports).toEqual([
      { Protocol: 'tcp', TargetPort: 80, PublishMode: 'ingress' },
      { Protocol: 'udp', TargetPort: 90, PublishedPort: 8000, PublishMode: 'ingress' },
      { Protocol: 'udp', TargetPort: 91, PublishedPort: 8001, PublishMode: 'ingress' },
      { Protocol: 'tcp', TargetPort: 443, PublishedPort: 8443, PublishMode: 'host' },
    ]);
  });

  test('volumes: binds resolve against the file, named volumes are scoped to the stack', () => {
    const { spec } = load({
      'c.yml':
        'services:\n  r:\n    image: redis\n    volumes:\n      - ./data:/data\n      - cache:/cache:ro\n      - /abs:/abs\nvolumes:\n  cache:\n',
    });
    expect(spec.services[0]!.TaskTemplate.ContainerSpec.Mounts).toEqual([
      { Type: 'bind', Source: '/lab/data', Target: '/data', ReadOnly: false },
      {
        Type: 'volume',
        Source: 'getstartedlab_cache',
        Target: '/cache',
        ReadOnly: true,
        VolumeOptions: { Labels: { 'com.docker.stack.namespace': 'getstartedlab' } },
      },
      { Type: 'bind', Source: '/abs', Target: '/abs', ReadOnly: false },
    ]);
    expect(spec.volumes).toEqual([
      { name: 'getstartedlab_cache', driver: 'local', labels: { 'com.docker.stack.namespace': 'getstartedlab' } },
    ]);
  });

  test('deploy: global mode, placement, update and rollback config, healthcheck, durations', () => {
    const { spec } = load({
      'c.yml': `services:
  v:
    image: viz
    stop_grace_period: 1m30s
    healthcheck:
      test: curl -f http://localhost/
      interval: 5s
      retries: 3
    deploy:
      mode: global
      placement:
        constraints: [node.role == manager]
        preferences:
          - spread: node.labels.zone
        max_replicas_per_node: 1
      update_config:
        parallelism: 2
        delay: 10s
        order: start-first
        failure_action: rollback
      rollback_config:
        parallelism: 0
`,
    });
    const s = spec.services[0]!;
    expect(s.Mode).toEqual({ Global: {} });
    expect(s.TaskTemplate.ContainerSpec.StopGracePeriod).toBe(90e9);
    expect(s.TaskTemplate.ContainerSpec.Healthcheck).toEqual({
      Test: ['CMD-SHELL', 'curl -f http://localhost/'],
      Interval: 5e9,
      Retries: 3,
    });
    expect(s.TaskTemplate.Placement).toEqual({
      Constraints: ['node.role == manager'],
      Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }],
      MaxReplicas: 1,
    });
    expect(s.UpdateConfig).toEqual({ Parallelism: 2, Delay: 10e9, Order: 'start-first', FailureAction: 'rollback' });
    expect(s.RollbackConfig).toEqual({ Parallelism: 0 });
  });

  test("unsupported keys give docker's warning and are ignored", () => {
    const { warnings } = load({
      'c.yml':
        'services:\n  a:\n    image: x\n    build: .\n    depends_on: [b]\n  b:\n    image: y\n    container_name: bee\n',
    });
    expect(warnings).toEqual(['Ignoring unsupported options: build, container_name, depends_on']);
  });

  test('several -c files merge like docker: maps by key, ports by target, env by name', () => {
    const base =
      'services:\n  web:\n    image: app:1\n    environment: [A=1, B=1]\n    ports: ["4000:80"]\n    deploy:\n      replicas: 5\n';
    const over =
      'services:\n  web:\n    image: app:2\n    environment:\n      B: 2\n    ports: ["4000:80", "9000:90"]\n    deploy:\n      resources:\n        limits:\n          memory: 50M\n';
    const s = load({ 'base.yml': base, 'prod.yml': over }).spec.services[0]!;
    expect(s.TaskTemplate.ContainerSpec.Image).toBe('app:2');
    expect(s.TaskTemplate.ContainerSpec.Env).toEqual(['A=1', 'B=2']);
    expect(s.Mode).toEqual({ Replicated: { Replicas: 5 } });
    expect(s.TaskTemplate.Resources?.Limits?.MemoryBytes).toBe(50 * 1024 * 1024);
    expect(s.EndpointSpec!.Ports!.map((p) => p.PublishedPort)).toEqual([4000, 9000]);
  });
});

describe('bad compose files: file:line:col and the key path', () => {
  test('negative replicas', () => {
    const e = errorOf(() => load({ 'docker-compose.yml': part3.replace('replicas: 5', 'replicas: -2') }));
    expect(e.message).toBe(
      'docker-compose.yml:6:17: services.web.deploy.replicas: must not be negative (use 0 to stop every task)',
    );
  });

  test('a typo in a key', () => {
    const e = errorOf(() => load({ 'docker-compose.yml': part3.replace('    ports:', '    portz:') }));
    expect(e.message).toBe('docker-compose.yml:13:5: services.web.portz: additional property portz is not allowed');
  });

  test('malformed YAML', () => {
    const e = errorOf(() => load({ 'docker-compose.yml': 'services:\n  web:\n    image: [unclosed\n' }));
    expect(e.message).toMatch(/^docker-compose\.yml:\d+:\d+: invalid YAML: /);
  });

  test('a wrong type names the expected type', () => {
    const e = errorOf(() => load({ 'c.yml': 'services:\n  web:\n    image: x\n    deploy:\n      replicas: five\n' }));
    expect(e.message).toBe('c.yml:5:17: services.web.deploy.replicas: expected number, got string');
  });

  test('an invalid size and an invalid duration', () => {
    expect(
      errorOf(() =>
        load({
          'c.yml':
            'services:\n  w:\n    image: x\n    deploy:\n      resources:\n        limits:\n          memory: lots\n',
        }),
      ).message,
    ).toBe("c.yml:7:19: services.w.deploy.resources.limits.memory: invalid size: invalid size: 'lots'");
    expect(
      errorOf(() => load({ 'c.yml': 'services:\n  w:\n    image: x\n    stop_grace_period: soon\n' })).message,
    ).toMatch(/^c\.yml:4:24: services\.w\.stop_grace_period: invalid duration/);
  });

  test('an undefined network, a missing image, a bad port', () => {
    expect(errorOf(() => load({ 'c.yml': 'services:\n  w:\n    image: x\n    networks: [nope]\n' })).message).toBe(
      'c.yml:4:5: services.w.networks: service "w" refers to undefined network nope: declare it under the top-level networks: key',
    );
    expect(errorOf(() => load({ 'c.yml': 'services:\n  w:\n    command: x\n' })).message).toMatch(
      /^c\.yml:2:3: services\.w: service "w" has no image/,
    );
    expect(errorOf(() => load({ 'c.yml': 'services:\n  w:\n    image: x\n    ports: ["40x0:80"]\n' })).message).toMatch(
      /^c\.yml:4:13: services\.w\.ports\.0: invalid port '40x0:80'/,
    );
  });

  test('a required variable that is unset', () => {
    expect(errorOf(() => load({ 'c.yml': 'services:\n  w:\n    image: "app:${TAG?set TAG}"\n' })).message).toBe(
      'c.yml:3:12: services.w.image: required variable TAG is missing a value: set TAG',
    );
  });

  test('a missing file', () => {
    expect(errorOf(() => load({}, ['nope.yml'])).message).toBe('open nope.yml: no such file or directory');
  });
});
