import { localStore } from '../testing/fixtures';
import type { ConfigReference, ReferenceFile, SecretReference, ServiceSpec } from '../types';
import { ConfigApi } from './configs';
import { SecretApi } from './secrets';
import { ServiceApi } from './services';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const file = (name: string) => ({ Name: name, UID: '0', GID: '0', Mode: 0o444 });

function setup() {
  const store = localStore();
  return { store, secrets: new SecretApi(store), configs: new ConfigApi(store), services: new ServiceApi(store) };
}

const spec = (secrets: Partial<SecretReference>[], configs: Partial<ConfigReference>[] = []): ServiceSpec => ({
  Name: 'web',
  TaskTemplate: {
    ContainerSpec: {
      Image: 'app:1',
      Secrets: secrets as SecretReference[],
      Configs: configs as ConfigReference[],
    },
  },
  Mode: { Replicated: { Replicas: 1 } },
});

const pins = (s: { Spec: ServiceSpec }) => ({
  secrets: s.Spec.TaskTemplate.ContainerSpec.Secrets?.map((r) => r.DataVersion),
  configs: s.Spec.TaskTemplate.ContainerSpec.Configs?.map((r) => r.DataVersion),
});

async function message(p: Promise<unknown>): Promise<string> {
  const e = (await p.then(
    () => null,
    (x: unknown) => x,
  )) as { message: string; status: number } | null;
  if (!e) throw new Error('expected a refusal');
  expect(e.status).toBe(400);
  return e.message;
}

describe("service specs' secret and config references", () => {
  test("docker's rules: ID and name, a target, no two at one target (docker's texts)", async () => {
    const { services, secrets } = setup();
    const { ID } = await secrets.create({ Name: 'pw', Data: b64('x') });
    expect(await message(services.create(spec([{ SecretID: ID, File: file('a') }])))).toBe(
      'malformed secret reference',
    );
    expect(await message(services.create(spec([{ SecretID: ID, SecretName: 'pw' }])))).toBe(
      'malformed secret reference, no target provided',
    );
    expect(await message(services.create(spec([{ SecretID: ID, SecretName: 'pw', File: file('') }])))).toBe(
      'malformed file secret reference, invalid target file name provided',
    );
    const two = [
      { SecretID: ID, SecretName: 'pw', File: file('t') },
      { SecretID: ID, SecretName: 'pw', File: file('t') },
    ];
    expect(await message(services.create(spec(two)))).toBe(
      "secret references 'pw' and 'pw' have a conflicting target: 't'",
    );
    expect(await message(services.create(spec([], [{ ConfigID: 'c', ConfigName: 'c' }])))).toBe(
      'malformed config reference, no target provided',
    );
    expect(await message(services.create(spec([{ SecretID: 1 as unknown as string }])))).toMatch(
      /^invalid request body: TaskTemplate\.ContainerSpec\.Secrets\.0\.SecretID: /,
    );
  });

  test("a missing secret or config is refused at create with swarmkit's text", async () => {
    const { services, secrets } = setup();
    const { ID } = await secrets.create({ Name: 'pw', Data: b64('x') });
    expect(await message(services.create(spec([{ SecretID: 'nope', SecretName: 'gone', File: file('g') }])))).toBe(
      'secret not found: gone',
    );
    // The name must match the ID's object too (a secret removed and made again has a new ID).
    const both = [
      { SecretID: ID, SecretName: 'other', File: file('a') },
      { SecretID: 'x', SecretName: 'gone', File: file('b') },
    ];
    expect(await message(services.create(spec(both)))).toBe('secrets not found: other, gone');
    expect(await message(services.create(spec([], [{ ConfigID: 'c', ConfigName: 'conf', File: file('/conf') }])))).toBe(
      'config not found: conf',
    );
    expect(services.list()).toEqual([]);
  });

  test('references without a DataVersion are pinned to the current one; file defaults filled', async () => {
    const { services, secrets, configs } = setup();
    const s = await secrets.create({ Name: 'pw', Data: b64('x') });
    const c = await configs.create({ Name: 'conf', Data: b64('c') });
    await configs.update('conf', configs.inspect('conf').Version.Index, { Name: 'conf', Data: b64('c2') });
    await services.create(
      spec(
        [{ SecretID: s.ID, SecretName: 'pw', File: { Name: 'pw' } as ReferenceFile }],
        [
          { ConfigID: c.ID, ConfigName: 'conf', File: file('/conf') },
          { ConfigID: c.ID, ConfigName: 'conf', Runtime: {} },
        ],
      ),
    );
    const web = services.inspect('web');
    expect(pins(web)).toEqual({ secrets: [1], configs: [2, 2] });
    expect(web.Spec.TaskTemplate.ContainerSpec.Secrets![0]!.File).toEqual(file('pw'));
  });

  test('an explicit DataVersion is kept while its data is, and refused when gone', async () => {
    const { services, secrets } = setup();
    const s = await secrets.create({ Name: 'pw', Data: b64('v1') });
    await secrets.update('pw', secrets.inspect('pw').Version.Index, { Name: 'pw', Data: b64('v2') });
    // v1 is gone: no service pinned it when the data changed.
    expect(
      await message(services.create(spec([{ SecretID: s.ID, SecretName: 'pw', File: file('pw'), DataVersion: 1 }]))),
    ).toMatch(
      /^secret pw has no data version 1 \(it is at version 2; .*leave DataVersion out to use the current data$/,
    );
    expect(
      await message(services.create(spec([{ SecretID: s.ID, SecretName: 'pw', File: file('pw'), DataVersion: 3 }]))),
    ).toMatch(/^secret pw has no data version 3/);
    await services.create(spec([{ SecretID: s.ID, SecretName: 'pw', File: file('pw'), DataVersion: 2 }]));
    expect(pins(services.inspect('web')).secrets).toEqual([2]);
  });

  test("a docker CLI read-modify-write (DataVersion dropped) keeps the service's pin: no roll", async () => {
    const { services, secrets } = setup();
    const s = await secrets.create({ Name: 'pw', Data: b64('v1') });
    await services.create(spec([{ SecretID: s.ID, SecretName: 'pw', File: file('pw') }]));
    await secrets.update('pw', secrets.inspect('pw').Version.Index, { Name: 'pw', Data: b64('v2') });
    let web = services.inspect('web');
    // Roll back to v1 (as failure_action rollback would), then scale with a spec that lost the pin.
    await services.update('web', web.Version.Index, web.Spec, { rollback: true });
    web = services.inspect('web');
    expect(pins(web).secrets).toEqual([1]);
    const dropped = spec([{ SecretID: s.ID, SecretName: 'pw', File: file('pw') }]);
    await services.update('web', web.Version.Index, { ...dropped, Mode: { Replicated: { Replicas: 3 } } });
    const scaled = services.inspect('web');
    expect(pins(scaled).secrets).toEqual([1]);
    expect(scaled.UpdateStatus?.State).toBe('rollback_started'); // untouched: a scale is no update
    // A secret the service did not use before gets its current version; one object, one pin.
    const k = await secrets.create({ Name: 'key', Data: b64('k1') });
    await secrets.update('key', secrets.inspect('key').Version.Index, { Name: 'key', Data: b64('k2') });
    const added = spec([
      { SecretID: s.ID, SecretName: 'pw', File: file('pw') },
      { SecretID: s.ID, SecretName: 'pw', File: file('pw-again') },
      { SecretID: k.ID, SecretName: 'key', File: file('key') },
    ]);
    await services.update('web', scaled.Version.Index, added);
    expect(pins(services.inspect('web')).secrets).toEqual([1, 1, 2]);
  });

  test('a service update naming a secret that is gone is refused and changes nothing', async () => {
    const { services, secrets } = setup();
    const s = await secrets.create({ Name: 'pw', Data: b64('v1') });
    await services.create(spec([]));
    const web = services.inspect('web');
    await expect(
      services.update('web', web.Version.Index, spec([{ SecretID: s.ID + 'x', SecretName: 'pw2', File: file('a') }])),
    ).rejects.toThrow('secret not found: pw2');
    expect(services.inspect('web').Version).toEqual(web.Version);
  });
});
