import { parseArgs } from './args';
import { RUN_FLAGS, buildRunConfig, parseEnvFile, parsePublish } from './run-config';

test('parsePublish: [ip:][hostPort:]containerPort[/proto]', () => {
  expect(parsePublish('4000:80')).toEqual({ hostIp: '', hostPort: '4000', containerPort: '80', proto: 'tcp' });
  expect(parsePublish('127.0.0.1:4000:80/udp')).toEqual({
    hostIp: '127.0.0.1',
    hostPort: '4000',
    containerPort: '80',
    proto: 'udp',
  });
  expect(parsePublish('80')).toEqual({ hostIp: '', hostPort: '', containerPort: '80', proto: 'tcp' });
  expect(parsePublish('127.0.0.1::80')).toEqual({
    hostIp: '127.0.0.1',
    hostPort: '',
    containerPort: '80',
    proto: 'tcp',
  });
  expect(parsePublish('[::1]:4000:80')).toMatchObject({ hostIp: '::1', hostPort: '4000' });
  expect(() => parsePublish('4000:http')).toThrow('invalid containerPort: http');
  expect(() => parsePublish('70000:80')).toThrow('invalid hostPort: 70000');
});

test('env files: comments, blanks, bare names from the caller environment', () => {
  expect(parseEnvFile('# c\nA=1\n\n  B=two words\nHOME\nUNSET\n', { HOME: '/root' })).toEqual([
    'A=1',
    'B=two words',
    'HOME=/root',
  ]);
});

test('run flags become docker create body fields', () => {
  const p = parseArgs(
    [
      '-d',
      '--name',
      'web',
      '-p',
      '4000:80',
      '-p',
      '127.0.0.1:4443:443',
      '-e',
      'A=1',
      '-m',
      '64m',
      '--cpus',
      '1.5',
      '--pids-limit',
      '100',
      '-v',
      'data:/data',
      '-w',
      '/app',
      '-u',
      'nobody',
      '--entrypoint',
      'sh',
      '--hostname',
      'h',
      '--network',
      'net1',
      'img',
      '-c',
      'echo',
    ],
    RUN_FLAGS,
    { interspersed: false },
  );
  const cfg = buildRunConfig(p, {}, '/');
  expect(cfg).toMatchObject({ name: 'web', detach: true, autoRemove: false });
  expect(cfg.body).toMatchObject({
    Image: 'img',
    Cmd: ['-c', 'echo'],
    Entrypoint: ['sh'],
    Env: ['A=1'],
    WorkingDir: '/app',
    User: 'nobody',
    Hostname: 'h',
    ExposedPorts: { '80/tcp': {}, '443/tcp': {} },
    HostConfig: {
      PortBindings: {
        '80/tcp': [{ HostIp: '', HostPort: '4000' }],
        '443/tcp': [{ HostIp: '127.0.0.1', HostPort: '4443' }],
      },
      Memory: 64 * 1024 * 1024,
      NanoCpus: 1_500_000_000,
      PidsLimit: 100,
      Binds: ['data:/data'],
      NetworkMode: 'net1',
    },
  });
});

test('--rm: the daemon removes detached containers, the CLI attached ones', () => {
  const detached = buildRunConfig(parseArgs(['-d', '--rm', 'img'], RUN_FLAGS, { interspersed: false }), {}, '/');
  expect((detached.body.HostConfig as Record<string, unknown>).AutoRemove).toBe(true);
  const attached = buildRunConfig(parseArgs(['--rm', 'img'], RUN_FLAGS, { interspersed: false }), {}, '/');
  expect((attached.body.HostConfig as Record<string, unknown>).AutoRemove).toBeUndefined();
  expect(attached.autoRemove).toBe(true);
});

test('bad values are refused with docker texts', () => {
  const run = (args: string[]) => buildRunConfig(parseArgs(args, RUN_FLAGS, { interspersed: false }), {}, '/');
  expect(() => run(['-m', 'lots', 'img'])).toThrow(
    `invalid argument "lots" for "-m, --memory" flag: invalid size: 'lots'`,
  );
  expect(() => run(['--cpus', 'two', 'img'])).toThrow('invalid argument "two" for "--cpus" flag');
  expect(() => run(['--pids-limit', 'x', 'img'])).toThrow('invalid argument "x" for "--pids-limit" flag');
  expect(() => run([])).toThrow('"run" requires at least 1 argument.');
});

test('--dns, --dns-search, --dns-option and --mount go into HostConfig', () => {
  const p = parseArgs(
    [
      '--dns',
      '192.0.2.53',
      '--dns',
      '192.0.2.54',
      '--dns-search',
      'example.com',
      '--dns-option',
      'ndots:2',
      '--mount',
      'type=tmpfs,target=/run',
      'img',
    ],
    RUN_FLAGS,
    { interspersed: false },
  );
  expect(buildRunConfig(p, {}, '/').body.HostConfig).toMatchObject({
    Dns: ['192.0.2.53', '192.0.2.54'],
    DnsSearch: ['example.com'],
    DnsOptions: ['ndots:2'],
    Mounts: [{ Type: 'tmpfs', Target: '/run' }],
  });
});
