// Compose `secrets:` / `configs:`: file, environment, external, name, labels, template_driver;
// short and long service syntax with docker's defaults; and errors that name file, line and key.
import { ComposeError } from './errors';
import { loadStack } from './load';

function load(files: Record<string, string>, env: Record<string, string> = {}) {
  return loadStack({
    files: ['docker-compose.yml'],
    namespace: 'app',
    cwd: '/lab',
    env,
    readFile: (p) => {
      const rel = p.replace(/^\/lab\//, '');
      if (!(rel in files)) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
      return files[rel]!;
    },
  });
}

function loadError(files: Record<string, string>, env: Record<string, string> = {}): ComposeError {
  try {
    load(files, env);
  } catch (e) {
    if (e instanceof ComposeError) return e;
    throw e;
  }
  throw new Error('expected a ComposeError');
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

const stack = `version: "3.8"
services:
  web:
    image: web:1
    secrets:
      - db_password
      - source: api_key
        target: api.key
        uid: "100"
        gid: 101
        mode: 0400
    configs:
      - nginx_conf
      - source: app_conf
        target: /etc/app.conf
        mode: 0o440
  worker:
    image: worker:1
    secrets: [db_password]
secrets:
  db_password:
    file: ./secrets/db_password.txt
    labels:
      tier: db
  api_key:
    external: true
  from_env:
    environment: API_TOKEN
    name: shared_token
configs:
  nginx_conf:
    file: nginx.conf
    template_driver: golang
  app_conf:
    external: true
    name: global_app_conf
`;

test('objects are named <stack>_<key> (or name:), labelled with the namespace, data in base64', () => {
  const { spec } = load(
    { 'docker-compose.yml': stack, 'secrets/db_password.txt': 's3cret\n', 'nginx.conf': 'server {}' },
    { API_TOKEN: 'tok' },
  );
  expect(spec.secrets.create).toEqual([
    { Name: 'app_db_password', Labels: { tier: 'db', 'com.docker.stack.namespace': 'app' }, Data: b64('s3cret\n') },
    { Name: 'shared_token', Labels: { 'com.docker.stack.namespace': 'app' }, Data: b64('tok') },
  ]);
  expect(spec.secrets.external).toEqual(['api_key']);
  expect(spec.configs.create).toEqual([
    {
      Name: 'app_nginx_conf',
      Labels: { 'com.docker.stack.namespace': 'app' },
      Data: b64('server {}'),
      Templating: { Name: 'golang' },
    },
  ]);
  expect(spec.configs.external).toEqual(['global_app_conf']);
});

test('service references: short syntax gets docker defaults, long syntax its fields; sorted by name', () => {
  const { spec } = load(
    { 'docker-compose.yml': stack, 'secrets/db_password.txt': 'x', 'nginx.conf': 'y' },
    { API_TOKEN: 't' },
  );
  const web = spec.services.find((s) => s.Name === 'app_web')!.TaskTemplate.ContainerSpec;
  expect(web.Secrets).toEqual([
    { SecretID: '', SecretName: 'api_key', File: { Name: 'api.key', UID: '100', GID: '101', Mode: 0o400 } },
    { SecretID: '', SecretName: 'app_db_password', File: { Name: 'db_password', UID: '0', GID: '0', Mode: 0o444 } },
  ]);
  // A config's default target is /<key>; YAML 1.1 and 1.2 octal both read as octal.
  expect(web.Configs).toEqual([
    { ConfigID: '', ConfigName: 'app_nginx_conf', File: { Name: '/nginx_conf', UID: '0', GID: '0', Mode: 0o444 } },
    {
      ConfigID: '',
      ConfigName: 'global_app_conf',
      File: { Name: '/etc/app.conf', UID: '0', GID: '0', Mode: 0o440 },
    },
  ]);
  const worker = spec.services.find((s) => s.Name === 'app_worker')!.TaskTemplate.ContainerSpec;
  expect(worker.Secrets?.map((s) => s.SecretName)).toEqual(['app_db_password']);
  expect(worker.Configs).toBeUndefined();
});

test('a missing secret file names the compose file, the line and the key', () => {
  const e = loadError({ 'docker-compose.yml': stack, 'nginx.conf': 'y' }, { API_TOKEN: 't' });
  expect(e.message).toBe(
    'docker-compose.yml:22:11: secrets.db_password.file: secret "db_password": cannot read /lab/secrets/db_password.txt: no such file or directory',
  );
});

test('an unset environment variable is named with its line', () => {
  const e = loadError({ 'docker-compose.yml': stack, 'secrets/db_password.txt': 'x', 'nginx.conf': 'y' });
  expect(e.message).toMatch(
    /^docker-compose\.yml:28:18: secrets\.from_env\.environment: secret "from_env": environment variable API_TOKEN is not set/,
  );
});

test('a service naming an undeclared secret or config is refused with its position', () => {
  const e = loadError({
    'docker-compose.yml': `services:
  web:
    image: web:1
    configs:
      - nope
`,
  });
  expect(e.message).toBe(
    'docker-compose.yml:5:9: services.web.configs.0: undefined config "nope": declare it under the top-level configs: key',
  );
});

test.each([
  [
    'external with file',
    `secrets:\n  s:\n    external: true\n    file: ./x\n`,
    /secrets\.s\.file: conflicting parameters "external" and "file" specified for secret "s"/,
  ],
  ['driver', `secrets:\n  s:\n    driver: vault\n`, /secrets\.s\.driver: secret "s": secret drivers are not supported/],
  ['no data', `secrets:\n  s:\n    labels: [a=b]\n`, /secrets\.s: secret "s" has no data: give file:/],
  [
    'file and environment',
    `secrets:\n  s:\n    file: ./x\n    environment: X\n`,
    /secrets\.s\.environment: secret "s": use one of file: or environment:, not both/,
  ],
  ['unknown key', `configs:\n  c:\n    fiel: ./x\n`, /:6:5: configs\.c\.fiel: additional property fiel is not allowed/],
  [
    'bad mode',
    `secrets:\n  s:\n    external: true\nservices:\n  web:\n    image: w\n    secrets:\n      - source: s\n        mode: rw\n`,
    /services\.web\.secrets\.0(\.mode)?: .*(invalid mode "rw"|expected)/,
  ],
  [
    'duplicate target',
    `secrets:\n  s:\n    external: true\n  t:\n    external: true\nservices:\n  web:\n    image: w\n    secrets:\n      - s\n      - source: t\n        target: s\n`,
    /services\.web\.secrets\.1: duplicate secret target for t not allowed/,
  ],
])('refused: %s', (_what, extra, message) => {
  const file = extra.includes('services:') ? extra : `services:\n  web:\n    image: w\n${extra}`;
  expect(loadError({ 'docker-compose.yml': file, x: 'x' }).message).toMatch(message);
});

test('external.name (the older syntax) names the external object', () => {
  const { spec } = load({
    'docker-compose.yml': `services:\n  web:\n    image: w\n    secrets: [s]\nsecrets:\n  s:\n    external:\n      name: real_name\n`,
  });
  expect(spec.secrets.external).toEqual(['real_name']);
  expect(spec.services[0]!.TaskTemplate.ContainerSpec.Secrets![0]!.SecretName).toBe('real_name');
});

test('an override file adds to a service secrets list by source', () => {
  const files: Record<string, string> = {
    'a.yml': `services:\n  web:\n    image: w\n    secrets: [s]\nsecrets:\n  s:\n    external: true\n  t:\n    external: true\n`,
    'b.yml': `services:\n  web:\n    secrets:\n      - source: s\n        target: other\n      - t\n`,
  };
  const { spec } = loadStack({
    files: ['a.yml', 'b.yml'],
    namespace: 'app',
    cwd: '/lab',
    readFile: (p) => files[p.replace(/^\/lab\//, '')]!,
  });
  expect(spec.services[0]!.TaskTemplate.ContainerSpec.Secrets!.map((s) => [s.SecretName, s.File!.Name])).toEqual([
    ['s', 'other'],
    ['t', 't'],
  ]);
});
