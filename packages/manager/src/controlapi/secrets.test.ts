import { VersionConflictError } from '../store/errors';
import { TaskState } from '../store/types';
import { localStore, makeTask } from '../testing/fixtures';
import type { ServiceSpec } from '../types';
import { DataObjectInUseError, InvalidSpecError } from './errors';
import { SecretApi } from './secrets';
import { ServiceApi } from './services';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function setup() {
  const store = localStore();
  const now = () => Date.parse('2026-01-01T00:00:00Z');
  return { store, secrets: new SecretApi(store, now), services: new ServiceApi(store, now) };
}

/** A service using secret `id` named `name` at /run/secrets/`target`, as the docker CLI sends it. */
const usingSecret = (name: string, id: string, secretName = 'pw', target = 'pw', version?: number): ServiceSpec => ({
  Name: name,
  TaskTemplate: {
    ContainerSpec: {
      Image: 'app:1',
      Secrets: [
        {
          File: { Name: target, UID: '0', GID: '0', Mode: 0o444 },
          SecretID: id,
          SecretName: secretName,
          ...(version !== undefined ? { DataVersion: version } : {}),
        },
      ],
    },
  },
  Mode: { Replicated: { Replicas: 2 } },
  UpdateConfig: { Parallelism: 1, FailureAction: 'rollback' },
});

const pinOf = (s: { Spec: ServiceSpec }) => s.Spec.TaskTemplate.ContainerSpec.Secrets?.[0]?.DataVersion;

async function refused(p: Promise<unknown>): Promise<{ message: string; status: number }> {
  const e = (await p.then(
    () => null,
    (x: unknown) => x,
  )) as { message: string; status: number } | null;
  if (!e) throw new Error('expected a refusal');
  return { message: e.message, status: e.status };
}

describe('secret API: create, list, inspect, remove', () => {
  test('create, then inspect by name, ID and ID prefix; the data is never returned', async () => {
    const { secrets, store } = setup();
    const { ID } = await secrets.create({ Name: 'pw', Labels: { a: 'b' }, Data: b64('hunter2') });
    for (const ref of ['pw', ID, ID.slice(0, 5)]) {
      const s = secrets.inspect(ref);
      expect(s.ID).toBe(ID);
      expect(s.Spec).toEqual({ Name: 'pw', Labels: { a: 'b' } });
      expect(s.DataVersion).toBe(1);
      expect(JSON.stringify(s)).not.toContain(b64('hunter2'));
    }
    expect(JSON.stringify(secrets.list())).not.toContain(b64('hunter2'));
    expect(store.state.get('secrets', ID)!.Spec.Data).toBe(b64('hunter2'));
    expect(secrets.inspect('pw').Version.Index).toBeGreaterThan(0);
  });

  test("a name in use is a 409 with docker's text; a missing one a 404", async () => {
    const { secrets } = setup();
    await secrets.create({ Name: 'pw', Data: b64('x') });
    expect(await refused(secrets.create({ Name: 'pw', Data: b64('y') }))).toEqual({
      message: 'secret pw already exists',
      status: 409,
    });
    expect(await refused(Promise.resolve().then(() => secrets.inspect('nope')))).toEqual({
      message: 'secret nope not found',
      status: 404,
    });
    expect((await refused(secrets.remove('nope'))).status).toBe(404);
  });

  test("docker's name rule, size limit (under 500 KB) and base64 data", async () => {
    const { secrets } = setup();
    const bad = (body: unknown) => refused(secrets.create(body));
    expect((await bad({ Data: b64('x') })).message).toBe('name must be provided');
    expect((await bad({ Name: '-pw', Data: b64('x') })).message).toBe(
      'invalid name, only 64 [a-zA-Z0-9-_.] characters allowed, and the start and end character must be [a-zA-Z0-9]',
    );
    expect((await bad({ Name: 'a'.repeat(65), Data: b64('x') })).message).toMatch(/^invalid name/);
    await expect(secrets.create({ Name: 'a.b_c-d', Data: b64('x') })).resolves.toBeDefined();
    expect(await bad({ Name: 'empty', Data: '' })).toEqual({
      message: 'secret data must be larger than 0 and less than 512000 bytes',
      status: 400,
    });
    expect((await bad({ Name: 'big', Data: Buffer.alloc(500 * 1024).toString('base64') })).message).toBe(
      'secret data must be larger than 0 and less than 512000 bytes',
    );
    await expect(
      secrets.create({ Name: 'max', Data: Buffer.alloc(500 * 1024 - 1).toString('base64') }),
    ).resolves.toBeDefined();
    expect((await bad({ Name: 'notb64', Data: 'not base64!' })).message).toMatch(
      /^invalid request body: Data: not valid base64/,
    );
    expect((await bad({ Name: 'n', Data: 5 })).message).toMatch(/^invalid request body: Data: /);
  });

  test('external secret drivers are refused; templates must be golang and parse', async () => {
    const { secrets } = setup();
    expect((await refused(secrets.create({ Name: 'v', Data: b64('x'), Driver: { Name: 'vault' } }))).message).toMatch(
      /^secret driver "vault" is not supported: flotilla has no external secret drivers/,
    );
    expect((await refused(secrets.create({ Name: 'v', Data: b64('x'), Driver: { Name: '' } }))).message).toBe(
      'secret driver must have a name',
    );
    await expect(secrets.create({ Name: 'nulls', Data: b64('x'), Driver: null, Labels: null })).resolves.toBeDefined();
    expect(
      (await refused(secrets.create({ Name: 't', Data: b64('{{.Service.Name}}'), Templating: { Name: 'jinja' } })))
        .message,
    ).toMatch(/^unsupported template driver "jinja"/);
    const parse = await refused(
      secrets.create({ Name: 't', Data: b64('x {{.Service.Name'), Templating: { Name: 'golang' } }),
    );
    expect(parse).toEqual({ message: 'template: :1: unclosed action', status: 400 });
    await secrets.create({ Name: 't', Data: b64('{{.Service.Name}}'), Templating: { Name: 'golang' } });
    expect(secrets.inspect('t').Spec.Templating).toEqual({ Name: 'golang' });
  });

  test('list filters: names exact, name and id prefixes (any of them), labels (all); others refused', async () => {
    const { secrets } = setup();
    const a = await secrets.create({ Name: 'app_pw', Labels: { env: 'prod' }, Data: b64('1') });
    await secrets.create({ Name: 'app_key', Labels: { env: 'dev' }, Data: b64('2') });
    await secrets.create({ Name: 'db', Data: b64('3') });
    const names = (f: Record<string, string[]>) =>
      secrets
        .list(f)
        .map((s) => s.Spec.Name)
        .sort();
    expect(names({})).toEqual(['app_key', 'app_pw', 'db']);
    expect(names({ name: ['app'] })).toEqual(['app_key', 'app_pw']);
    expect(names({ names: ['app'] })).toEqual([]);
    expect(names({ names: ['db'], id: [a.ID.slice(0, 8)] })).toEqual(['app_pw', 'db']);
    expect(names({ label: ['env'] })).toEqual(['app_key', 'app_pw']);
    expect(names({ label: ['env=prod'], name: ['app'] })).toEqual(['app_pw']);
    expect(() => secrets.list({ driver: ['x'] })).toThrow("invalid filter 'driver'");
  });

  test("a secret in use by a service cannot be removed (swarmkit's text, 400); an unused one can", async () => {
    const { secrets, services } = setup();
    const { ID } = await secrets.create({ Name: 'pw', Data: b64('x') });
    await services.create(usingSecret('web', ID));
    expect(await refused(secrets.remove('pw'))).toEqual({
      message: "secret 'pw' is in use by the following service: web",
      status: 400,
    });
    await services.create(usingSecret('api', ID));
    const e = await secrets.remove(ID).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DataObjectInUseError);
    expect((e as Error).message).toBe("secret 'pw' is in use by the following services: web, api");
    await services.remove('web');
    await services.remove('api');
    await secrets.remove('pw');
    expect(secrets.list()).toEqual([]);
  });
});

describe('secret API: update (labels as docker, data as flotilla)', () => {
  test('new labels only: no new data version, no roll; a stale version is refused', async () => {
    const { secrets, services } = setup();
    const { ID } = await secrets.create({ Name: 'pw', Labels: { a: '1' }, Data: b64('x') });
    await services.create(usingSecret('web', ID));
    const before = services.inspect('web');
    const v = secrets.inspect('pw').Version.Index;
    const { Rolled } = await secrets.update('pw', v, { Name: 'pw', Labels: { a: '2' } });
    expect(Rolled).toEqual([]);
    const s = secrets.inspect('pw');
    expect(s.Spec.Labels).toEqual({ a: '2' });
    expect(s.DataVersion).toBe(1);
    expect(services.inspect('web').Version).toEqual(before.Version);
    // The same bytes again change nothing either.
    await secrets.update('pw', s.Version.Index, { Name: 'pw', Data: b64('x') });
    expect(secrets.inspect('pw').DataVersion).toBe(1);
    await expect(secrets.update('pw', v, { Name: 'pw', Labels: {} })).rejects.toThrow(VersionConflictError);
  });

  test('renaming and changing the template driver are refused clearly', async () => {
    const { secrets } = setup();
    await secrets.create({ Name: 'pw', Data: b64('x') });
    const v = secrets.inspect('pw').Version.Index;
    expect((await refused(secrets.update('pw', v, { Name: 'other' }))).message).toMatch(
      /^only updates to Labels are allowed \(and, in flotilla, to Data\): secret pw cannot be renamed/,
    );
    const e = await refused(secrets.update('pw', v, { Name: 'pw', Templating: { Name: 'golang' } }));
    expect(e.message).toMatch(/^the template driver of secret pw cannot change/);
    expect((await refused(secrets.update('pw', v, { Name: 'pw', Data: '' }))).message).toBe(
      'secret data must be larger than 0 and less than 512000 bytes',
    );
  });

  test('new data: a new version, and every service using it rolls in the same transaction', async () => {
    const { secrets, services, store } = setup();
    const { ID } = await secrets.create({ Name: 'pw', Data: b64('old') });
    const other = await secrets.create({ Name: 'other', Data: b64('o') });
    await services.create(usingSecret('web', ID));
    await services.create(usingSecret('api', ID, 'pw', 'password'));
    await services.create(usingSecret('db', other.ID, 'other'));
    const web = services.inspect('web');
    expect(pinOf(web)).toBe(1);
    const applied = store.applied;
    const { Rolled } = await secrets.update('pw', secrets.inspect('pw').Version.Index, {
      Name: 'pw',
      Data: b64('new'),
    });
    expect(store.applied).toBe(applied + 1); // one transaction
    expect(Rolled.sort()).toEqual(['api', 'web']);
    const stored = store.state.get('secrets', ID)!;
    expect(stored.DataVersion).toBe(2);
    expect(stored.Spec.Data).toBe(b64('new'));
    expect(stored.PastData).toEqual({ '1': b64('old') });
    const rolled = services.inspect('web');
    expect(pinOf(rolled)).toBe(2);
    expect(rolled.PreviousSpec && pinOf({ Spec: rolled.PreviousSpec })).toBe(1);
    expect(rolled.UpdateStatus).toEqual({
      State: 'updating',
      StartedAt: '2026-01-01T00:00:00.000Z',
      Message: 'update in progress: secret pw changed',
    });
    expect(services.inspect('db').UpdateStatus).toBeUndefined();
    // A rollback restores the old pin, whose data is still kept.
    await services.update('web', rolled.Version.Index, rolled.Spec, { rollback: true });
    expect(pinOf(services.inspect('web'))).toBe(1);
  });

  test('past versions are pruned to those a service spec, previous spec or live task pins', async () => {
    const { secrets, services, store } = setup();
    const { ID } = await secrets.create({ Name: 'pw', Data: b64('v1') });
    const svc = await services.create(usingSecret('web', ID));
    const task = makeTask('t1', svc.ID, {
      state: TaskState.RUNNING,
      spec: services.inspect('web').Spec.TaskTemplate,
    });
    await store.update((tx) => tx.create('tasks', task));
    const update = (data: string) =>
      secrets.update('pw', store.state.get('secrets', ID)!.Version.Index, { Name: 'pw', Data: b64(data) });
    await update('v2'); // web: Spec v2, PreviousSpec v1; the task runs v1
    await update('v3'); // web: Spec v3, PreviousSpec v2; the task still runs v1
    expect(Object.keys(store.state.get('secrets', ID)!.PastData!).sort()).toEqual(['1', '2']);
    await store.update((tx) => tx.update('tasks', { ...tx.get('tasks', 't1')!, DesiredState: TaskState.REMOVE }));
    await update('v4'); // v1: nothing pins it any more
    expect(Object.keys(store.state.get('secrets', ID)!.PastData!).sort()).toEqual(['3']);
    // Removing the service frees every past version.
    await services.remove('web');
    expect(store.state.get('secrets', ID)!.PastData).toBeUndefined();
  });

  test('a service update that moves PreviousSpec off an old version frees it', async () => {
    const { secrets, services, store } = setup();
    const { ID } = await secrets.create({ Name: 'pw', Data: b64('v1') });
    await services.create(usingSecret('web', ID));
    await secrets.update('pw', secrets.inspect('pw').Version.Index, { Name: 'pw', Data: b64('v2') });
    expect(store.state.get('secrets', ID)!.PastData).toEqual({ '1': b64('v1') }); // web's PreviousSpec
    const web = services.inspect('web');
    const image = { ...web.Spec.TaskTemplate.ContainerSpec, Image: 'app:2' };
    await services.update('web', web.Version.Index, {
      ...web.Spec,
      TaskTemplate: { ...web.Spec.TaskTemplate, ContainerSpec: image },
    });
    expect(store.state.get('secrets', ID)!.PastData).toBeUndefined();
  });

  test('an update body is checked like a create body', async () => {
    const { secrets } = setup();
    await secrets.create({ Name: 'pw', Data: b64('x') });
    const e = await secrets.update('pw', 1, { Name: 'pw', Labels: 'x' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InvalidSpecError);
    expect((e as Error).message).toMatch(/^invalid request body: Labels: /);
  });
});
