// --secret / --config values (docker's csv syntax and defaults), and service create/update
// resolving names to IDs through GET /secrets and /configs against a fake daemon.
import { runCli } from '../__fixtures__/run-cli';
import { type FakeSwarmApi, startFakeSwarmApi } from '../__fixtures__/fake-swarm-api';
import { UsageError } from '../args';
import { csvFields } from '../csv';
import { parseRefFlag } from './service-refs';

describe('parseRefFlag', () => {
  test('the short form: the name is the target; a secret under /run/secrets, a config at /<name>', () => {
    expect(parseRefFlag('secret', 'secret', 'db_pw')).toEqual({
      name: 'db_pw',
      file: { Name: 'db_pw', UID: '0', GID: '0', Mode: 0o444 },
    });
    expect(parseRefFlag('config', 'config', 'nginx.conf').file.Name).toBe('/nginx.conf');
  });

  test('the long form: source (or src), target, uid, gid, octal mode; keys in any case', () => {
    expect(parseRefFlag('secret', 'secret', 'source=db_pw,target=pw.txt,uid=100,gid=101,mode=0400')).toEqual({
      name: 'db_pw',
      file: { Name: 'pw.txt', UID: '100', GID: '101', Mode: 0o400 },
    });
    expect(parseRefFlag('config', 'config-add', 'SRC=c,Mode=0o640').file).toEqual({
      Name: '/c',
      UID: '0',
      GID: '0',
      Mode: 0o640,
    });
    // Go's base 0: a leading 0 is octal, no prefix is decimal.
    expect(parseRefFlag('secret', 'secret', 'source=s,mode=292').file.Mode).toBe(0o444);
    expect(parseRefFlag('secret', 'secret', '"source=a,b",target=x').name).toBe('a,b');
  });

  test.each([
    ['target=x', 'source is required'],
    ['source=x,bogus', "invalid field 'bogus' must be a key=value pair"],
    ['source=x,color=red', 'invalid field in secret request: color'],
    ['source=x,mode=rw', 'invalid mode specified'],
    ['source=x,mode=0999', 'invalid mode specified'],
    ['"source=x', 'extraneous or missing " in quoted-field'],
  ])('%s is refused: %s', (value, why) => {
    const t = () => parseRefFlag('secret', 'secret', value);
    expect(t).toThrow(UsageError);
    expect(t).toThrow(`invalid argument "${value}" for "--secret" flag: `);
    expect(t).toThrow(why);
  });

  test('csvFields reads quoted fields like encoding/csv', () => {
    expect(csvFields('a,"b,c","d""e",')).toEqual(['a', 'b,c', 'd"e', '']);
  });
});

describe('service create/update against a daemon', () => {
  let api: FakeSwarmApi;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    api = await startFakeSwarmApi();
    env = { FLOTILLA_HOST: api.host };
    for (const [kind, name] of [
      ['secret', 'db_pw'],
      ['secret', 'db_pw_old'],
      ['config', 'site.conf'],
    ] as const)
      expect((await runCli([kind, 'create', name, '-'], { env, stdin: 'x' })).code).toBe(0);
  });
  afterAll(() => api.close());
  beforeEach(() => (api.log.length = 0));

  const idOf = (kind: 'secrets' | 'configs', name: string) => api[kind].find((o) => o.Spec.Name === name)!.ID;

  test('--secret and --config resolve names to IDs with one filtered list call each', async () => {
    const r = await runCli(
      [
        'service',
        'create',
        '-d',
        '--name',
        'web',
        '--secret',
        'source=db_pw,target=pw,mode=0400',
        '--config',
        'site.conf',
        'web:1',
      ],
      { env },
    );
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(api.log.filter((l) => l.method === 'GET').map((l) => [l.path, l.query.filters])).toEqual([
      ['/secrets', '{"name":["db_pw"]}'],
      ['/configs', '{"name":["site.conf"]}'],
    ]);
    const cs = (api.services[0]!.Spec.TaskTemplate as { ContainerSpec: Record<string, unknown> }).ContainerSpec;
    expect(cs.Secrets).toEqual([
      {
        SecretID: idOf('secrets', 'db_pw'),
        SecretName: 'db_pw',
        File: { Name: 'pw', UID: '0', GID: '0', Mode: 0o400 },
      },
    ]);
    expect(cs.Configs).toEqual([
      {
        ConfigID: idOf('configs', 'site.conf'),
        ConfigName: 'site.conf',
        File: { Name: '/site.conf', UID: '0', GID: '0', Mode: 0o444 },
      },
    ]);
  });

  test('a missing secret is docker\'s "secret not found" and nothing is created', async () => {
    const r = await runCli(['service', 'create', '-d', '--secret', 'nope', 'web:1'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('secret not found: nope\n');
    expect(api.log.some((l) => l.method === 'POST')).toBe(false);
  });

  test('two references with one target are refused', async () => {
    const r = await runCli(
      ['service', 'create', '-d', '--secret', 'db_pw', '--secret', 'source=db_pw_old,target=db_pw', 'w'],
      {
        env,
      },
    );
    expect(r).toMatchObject({ code: 1, stderr: 'duplicate secret target for db_pw_old not allowed\n' });
  });

  test('update --secret-rm then --secret-add: the rest of the spec is kept', async () => {
    const r = await runCli(
      ['service', 'update', '-d', '--secret-rm', 'db_pw', '--secret-add', 'source=db_pw_old,target=pw', 'web'],
      { env },
    );
    expect(r).toMatchObject({ code: 0, stdout: 'web\n' });
    const cs = (api.services[0]!.Spec.TaskTemplate as { ContainerSpec: Record<string, unknown> }).ContainerSpec;
    expect(cs.Secrets).toEqual([
      {
        SecretID: idOf('secrets', 'db_pw_old'),
        SecretName: 'db_pw_old',
        File: { Name: 'pw', UID: '0', GID: '0', Mode: 0o444 },
      },
    ]);
    expect((cs.Configs as unknown[]).length).toBe(1);
    const rm = await runCli(['service', 'update', '-d', '--config-rm', 'site.conf', 'web'], { env });
    expect(rm.code).toBe(0);
    expect(
      (
        (api.services[0]!.Spec.TaskTemplate as { ContainerSpec: Record<string, unknown> }).ContainerSpec
          .Configs as unknown[]
      ).length,
    ).toBe(0);
  });
});
