// secret and config commands against a fake daemon: what is sent (docker's shapes), what is
// printed, docker's error texts, and flotilla's in-place `update`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../__fixtures__/run-cli';
import { type FakeSwarmApi, startFakeSwarmApi } from '../__fixtures__/fake-swarm-api';
import { describeUpdate } from './file-objects';

let api: FakeSwarmApi;
let env: NodeJS.ProcessEnv;
let dir: string;
beforeAll(async () => {
  api = await startFakeSwarmApi();
  env = { FLOTILLA_HOST: api.host };
  dir = mkdtempSync(join(tmpdir(), 'flotilla-cli-secret-'));
  writeFileSync(join(dir, 'pw.txt'), 'hunter2\n');
  writeFileSync(join(dir, 'empty'), '');
});
afterAll(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => (api.log.length = 0));
const cli = (args: string[], stdin?: string) => runCli(args, { env, cwd: dir, stdin });

test('secret create FILE --label --template-driver: the spec in docker shape, the ID printed', async () => {
  const r = await cli([
    'secret',
    'create',
    '--label',
    'env=prod',
    '-l',
    'tier',
    '--template-driver',
    'golang',
    'db_pw',
    'pw.txt',
  ]);
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(`${api.secrets[0]!.ID}\n`);
  expect(api.log).toEqual([
    {
      method: 'POST',
      path: '/secrets/create',
      query: {},
      body: {
        Name: 'db_pw',
        Labels: { env: 'prod', tier: '' },
        Data: Buffer.from('hunter2\n').toString('base64'),
        Templating: { Name: 'golang' },
      },
    },
  ]);
});

test('secret create NAME - reads stdin; config create needs exactly 2 arguments', async () => {
  expect((await cli(['secret', 'create', 'from_stdin', '-'], 'abc')).code).toBe(0);
  expect(api.secrets.find((s) => s.Spec.Name === 'from_stdin')!.Spec.Data).toBe(Buffer.from('abc').toString('base64'));
  const r = await cli(['config', 'create', 'only_name']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^"flotilla config create" requires exactly 2 arguments\./);
});

test.each([
  [['secret', 'create', 's1'], 'secret file is required'],
  [['secret', 'create', 's1', 'nope.txt'], 'error reading from nope.txt: open nope.txt: no such file or directory'],
  [['secret', 'create', 's1', 'empty'], 'error reading from empty: data is empty'],
  [['secret', 'create', 's1', '-'], 'error reading from STDIN: data is empty'],
  [['config', 'create', 'c1', 'empty'], 'error reading content from "empty": error reading from empty: data is empty'],
  [['secret', 'create', '-d', 'vault', 's1'], 'secret drivers are not supported by flotilla ("--driver vault")'],
  [['secret', 'create', '--template-driver', 'jinja', 's1', 'pw.txt'], 'unsupported template driver "jinja"'],
  [['config', 'create', '--driver', 'x', 'c1', 'pw.txt'], 'unknown flag: --driver'],
])('%j is refused: %s', async (args, message) => {
  const r = await cli(args);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain(message);
  expect(api.log.some((l) => l.method === 'POST')).toBe(false);
});

test('a name taken: the daemon says so, exit 1', async () => {
  const r = await cli(['secret', 'create', 'db_pw', 'pw.txt']);
  expect(r).toMatchObject({
    code: 1,
    stderr: 'Error response from daemon: rpc error: code = AlreadyExists desc = secret db_pw already exists\n',
  });
});

test('ls, ls -q, ls --filter, inspect (JSON, --format, --pretty)', async () => {
  const ls = await cli(['secret', 'ls']);
  expect(ls.stdout).toMatch(
    /^ID\s+NAME\s+DRIVER\s+CREATED\s+UPDATED\n\S+\s+db_pw\s+Less than a second ago\s+Less than a second ago\n\S+\s+from_stdin\s/,
  );
  expect((await cli(['secret', 'ls', '-q'])).stdout.trim().split('\n')).toHaveLength(2);
  await cli(['secret', 'ls', '--filter', 'name=db', '-f', 'label=env=prod']);
  expect(api.log.at(-1)!.query.filters).toBe('{"name":["db"],"label":["env=prod"]}');
  const inspect = JSON.parse((await cli(['secret', 'inspect', 'db_pw'])).stdout) as { Spec: Record<string, unknown> }[];
  expect(inspect[0]!.Spec).toMatchObject({ Name: 'db_pw', Labels: { env: 'prod', tier: '' } });
  expect(inspect[0]!.Spec.Data).toBeUndefined();
  expect((await cli(['secret', 'inspect', '--format', '{{.Spec.Name}}', 'db_pw', 'from_stdin'])).stdout).toBe(
    'db_pw\nfrom_stdin\n',
  );
  const pretty = await cli(['secret', 'inspect', '--pretty', 'db_pw']);
  expect(pretty.stdout).toMatch(/^ID: {14}\S+\nName: {14}db_pw\nLabels:\n - env=prod\n - tier\nDriver: {12}\n/);
  const missing = await cli(['secret', 'inspect', 'db_pw', 'nope']);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toBe('Error: No such secret: nope\n');
  expect(await cli(['secret', 'inspect', '--format', 'pretty{{.ID}}', 'db_pw'])).toMatchObject({
    code: 1,
    stderr: 'cannot supply extra formatting options to the pretty template\n',
  });
});

test('config inspect --pretty shows the data', async () => {
  expect((await cli(['config', 'create', 'site.conf', '-'], 'listen 80;\n')).code).toBe(0);
  const r = await cli(['config', 'inspect', '--pretty', 'site.conf']);
  expect(r.stdout).toMatch(/\nData:\nlisten 80;\n\n$/);
  expect((await cli(['config', 'ls'])).stdout).toMatch(/^ID\s+NAME\s+CREATED\s+UPDATED\n\S+\s+site\.conf\s+Less than/);
});

test('update: new data is a new version, the services using it are named; the same data changes nothing', async () => {
  const id = api.secrets.find((s) => s.Spec.Name === 'db_pw')!.ID;
  await cli(['service', 'create', '-d', '--name', 'app_web', '--secret', 'db_pw', 'web:1']);
  api.log.length = 0;
  const r = await cli(['secret', 'update', 'db_pw', '-'], 'correct horse');
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe(
    'Updated secret db_pw: data version 1 -> 2\nIn use: service app_web rolls onto it through its update_config (follow with "flotilla service ps")\n',
  );
  const post = api.log.find((l) => l.method === 'POST')!;
  expect(post.path).toBe(`/secrets/${id}/update`);
  // The whole spec goes back with the new data (labels, templating kept).
  expect(post.body).toEqual({
    Name: 'db_pw',
    Labels: { env: 'prod', tier: '' },
    Templating: { Name: 'golang' },
    Data: Buffer.from('correct horse').toString('base64'),
  });
  const again = await cli(['secret', 'update', 'db_pw', '-'], 'correct horse');
  expect(again.stdout).toBe('Secret db_pw is unchanged: the data is the same as data version 2\n');
  expect(await cli(['secret', 'update', 'nope', '-'], 'x')).toMatchObject({
    code: 1,
    stderr: 'Error: no such secret: nope\n',
  });
});

test('describeUpdate without data versions (a daemon that does not report them)', () => {
  expect(describeUpdate('config', 'c', undefined, undefined, [])).toEqual([
    'Updated config c',
    'In use: no service uses it',
  ]);
});

test('rm: each name in turn, a refusal printed and exit 1, the rest removed', async () => {
  const r = await cli(['secret', 'rm', 'db_pw', 'from_stdin', 'nope']);
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('from_stdin\n');
  expect(r.stderr).toBe(
    "Error response from daemon: secret 'db_pw' is in use by the following service: app_web\nError response from daemon: secret nope not found\n",
  );
  expect(await cli(['secret', 'rm'])).toMatchObject({ code: 1 });
});

test('help and unknown subcommands', async () => {
  expect((await cli(['--help'])).stdout).toMatch(
    /\n {2}config {6}Manage Swarm configs\n[\s\S]*\n {2}secret {6}Manage Swarm secrets\n/,
  );
  const r = await cli(['secret']);
  expect(r.stderr).toContain('update      Replace a secret');
  expect((await cli(['config', 'frob'])).stderr).toContain("flotilla config: 'frob' is not a flotilla command.");
  const help = await cli(['secret', 'create', '--help']);
  expect(help).toMatchObject({ code: 0, stderr: '' });
  expect(help.stdout).toMatch(
    /^\nUsage: {2}flotilla secret create \[OPTIONS\] SECRET \[file\|-\]\n[\s\S]*--template-driver/,
  );
});
