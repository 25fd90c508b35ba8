// stack deploy and rm with secrets and configs: the plan (create, update in place, leave alone),
// the order of the calls (objects before services on deploy, after them on rm, networks last),
// IDs in the services' references, external objects that must exist, and a redeploy after the
// secret file changed (an in-place update, the service left to the daemon's roll).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../__fixtures__/run-cli';
import { type FakeSwarmApi, startFakeSwarmApi } from '../__fixtures__/fake-swarm-api';
import type { ApiFileObject } from './file-object-format';
import { planObjects, withoutDataVersions } from './stack-objects';

const NS = { 'com.docker.stack.namespace': 'app' };
const existing = (id: string, name: string, data?: string, labels: Record<string, string> = NS): ApiFileObject => ({
  ID: id,
  Version: { Index: 7 },
  CreatedAt: '',
  UpdatedAt: '',
  Spec: { Name: name, Labels: labels, ...(data !== undefined ? { Data: data } : {}) },
  DataVersion: 1,
});

describe('planObjects', () => {
  test('create what is missing, update what exists, leave a config alone when nothing changed', () => {
    const plan = planObjects(
      {
        create: [
          { Name: 'app_new', Labels: NS, Data: 'bmV3' },
          { Name: 'app_same', Labels: NS, Data: 'c2FtZQ==' },
          { Name: 'app_changed', Labels: NS, Data: 'djI=' },
          { Name: 'app_relabelled', Labels: { ...NS, x: 'y' }, Data: 'c2FtZQ==' },
          { Name: 'app_secret', Labels: NS, Data: 'c2FtZQ==' },
        ],
        external: ['ext', 'gone'],
        names: new Map(),
      },
      [
        existing('id-same', 'app_same', 'c2FtZQ=='),
        existing('id-changed', 'app_changed', 'djE='),
        existing('id-relabelled', 'app_relabelled', 'c2FtZQ=='),
        // A secret's data is never returned: it is always sent, the daemon compares.
        existing('id-secret', 'app_secret'),
        existing('id-ext', 'ext', undefined, {}),
      ],
    );
    expect(plan.create.map((s) => s.Name)).toEqual(['app_new']);
    expect(plan.update.map((u) => [u.id, u.version, u.dataVersion])).toEqual([
      ['id-changed', 7, 1],
      ['id-relabelled', 7, 1],
      ['id-secret', 7, 1],
    ]);
    expect(plan.unchanged).toEqual([{ id: 'id-same', name: 'app_same' }]);
    expect(plan.missing).toEqual(['gone']);
    expect(Object.fromEntries(plan.ids)).toEqual({
      ext: 'id-ext',
      app_same: 'id-same',
      app_changed: 'id-changed',
      app_relabelled: 'id-relabelled',
      app_secret: 'id-secret',
    });
  });

  test('withoutDataVersions drops the versions the daemon pinned, nothing else', () => {
    const spec = {
      Name: 's',
      TaskTemplate: {
        ContainerSpec: {
          Image: 'i',
          Secrets: [{ SecretID: 'a', SecretName: 'n', DataVersion: 3 }],
          Configs: [{ ConfigID: 'b', ConfigName: 'm', DataVersion: 1 }],
        },
      },
    };
    expect(withoutDataVersions(spec).TaskTemplate.ContainerSpec).toEqual({
      Image: 'i',
      Secrets: [{ SecretID: 'a', SecretName: 'n' }],
      Configs: [{ ConfigID: 'b', ConfigName: 'm' }],
    });
    expect(spec.TaskTemplate.ContainerSpec.Secrets[0]!.DataVersion).toBe(3);
  });
});

describe('stack deploy / rm against a daemon', () => {
  let api: FakeSwarmApi;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const compose = `version: "3.8"
services:
  web:
    image: web:1
    secrets:
      - db_password
      - source: api_key
        target: api.key
        mode: 0400
    configs:
      - source: site
        target: /etc/site.conf
secrets:
  db_password:
    file: ./db_password.txt
  api_key:
    external: true
configs:
  site:
    file: site.conf
`;
  beforeAll(async () => {
    api = await startFakeSwarmApi();
    dir = mkdtempSync(join(tmpdir(), 'flotilla-cli-stack-'));
    env = { FLOTILLA_HOST: api.host };
    writeFileSync(join(dir, 'docker-compose.yml'), compose);
    writeFileSync(join(dir, 'db_password.txt'), 'pw1');
    writeFileSync(join(dir, 'site.conf'), 'listen 80;');
  });
  afterAll(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => (api.log.length = 0));
  const deploy = () => runCli(['stack', 'deploy', '-d', '-c', 'docker-compose.yml', 'app'], { env, cwd: dir });
  const writes = () =>
    api.log.filter((l) => l.method !== 'GET').map((l) => `${l.method} ${l.path.replace(/[0-9a-z]{24,}/, 'ID')}`);

  test("an external secret that does not exist: docker's words, nothing created", async () => {
    const r = await deploy();
    expect(r).toMatchObject({ code: 1, stderr: 'secret not found: api_key\n' });
    expect(writes()).toEqual([]);
  });

  test('first deploy: secrets, then configs, then the service with their IDs', async () => {
    expect((await runCli(['secret', 'create', 'api_key', '-'], { env, stdin: 'k' })).code).toBe(0);
    api.log.length = 0;
    const r = await deploy();
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      'Creating network app_default\nCreating secret app_db_password\nCreating config app_site\nCreating service app_web\n',
    );
    expect(writes()).toEqual(['POST /secrets/create', 'POST /configs/create', 'POST /services/create']);
    const id = (kind: 'secrets' | 'configs', n: string) => api[kind].find((o) => o.Spec.Name === n)!.ID;
    expect(api.secrets.find((s) => s.Spec.Name === 'app_db_password')!.Spec).toEqual({
      Name: 'app_db_password',
      Labels: NS,
      Data: Buffer.from('pw1').toString('base64'),
    });
    const cs = (api.services[0]!.Spec.TaskTemplate as { ContainerSpec: Record<string, unknown> }).ContainerSpec;
    expect(cs.Secrets).toEqual([
      {
        SecretID: id('secrets', 'api_key'),
        SecretName: 'api_key',
        File: { Name: 'api.key', UID: '0', GID: '0', Mode: 0o400 },
      },
      {
        SecretID: id('secrets', 'app_db_password'),
        SecretName: 'app_db_password',
        File: { Name: 'db_password', UID: '0', GID: '0', Mode: 0o444 },
      },
    ]);
    expect(cs.Configs).toEqual([
      {
        ConfigID: id('configs', 'app_site'),
        ConfigName: 'app_site',
        File: { Name: '/etc/site.conf', UID: '0', GID: '0', Mode: 0o444 },
      },
    ]);
  });

  test('a redeploy of the same files: the secret is sent (the daemon compares), the config and service are left alone', async () => {
    // What the control API does: pin the data versions in the service's references.
    const cs = (api.services[0]!.Spec.TaskTemplate as { ContainerSpec: { Secrets: { DataVersion?: number }[] } })
      .ContainerSpec;
    for (const r of cs.Secrets) r.DataVersion = 1;
    const r = await deploy();
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(writes()).toEqual(['POST /secrets/ID/update']);
  });

  test('a redeploy after the secret file changed: an in-place update with the new data', async () => {
    writeFileSync(join(dir, 'db_password.txt'), 'pw2');
    const r = await deploy();
    expect(r).toMatchObject({ code: 0, stdout: 'Updating secret app_db_password (data version 1 -> 2)\n' });
    expect(writes()).toEqual(['POST /secrets/ID/update']);
    const post = api.log.find((l) => l.method === 'POST')!;
    expect(post.body).toEqual({ Name: 'app_db_password', Labels: NS, Data: Buffer.from('pw2').toString('base64') });
  });

  test("stack rm: services, then the stack's secrets and configs (not the external one), then networks", async () => {
    api.networks.push({ Id: 'net1', Name: 'app_default', Labels: NS });
    const r = await runCli(['stack', 'rm', 'app'], { env });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      'Removing service app_web\nRemoving secret app_db_password\nRemoving config app_site\nRemoving network app_default\n',
    );
    expect(writes()).toEqual([
      'DELETE /services/ID',
      'DELETE /secrets/ID',
      'DELETE /configs/ID',
      'DELETE /networks/net1',
    ]);
    expect(api.secrets.map((s) => s.Spec.Name)).toEqual(['api_key']);
    expect(api.configs).toEqual([]);
    const again = await runCli(['stack', 'rm', 'app'], { env });
    expect(again).toMatchObject({ code: 1, stderr: 'Nothing found in stack: app\n' });
  });
});
