import { localStore } from '../testing/fixtures';
import type { ServiceSpec } from '../types';
import { ConfigApi } from './configs';
import { ServiceApi } from './services';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function setup() {
  const store = localStore();
  return { store, configs: new ConfigApi(store), services: new ServiceApi(store) };
}

const usingConfig = (name: string, id: string): ServiceSpec => ({
  Name: name,
  TaskTemplate: {
    ContainerSpec: {
      Image: 'nginx',
      Configs: [
        {
          ConfigID: id,
          ConfigName: 'site',
          File: { Name: '/etc/nginx/conf.d/site.conf', UID: '0', GID: '0', Mode: 0o444 },
        },
      ],
    },
  },
  Mode: { Replicated: { Replicas: 1 } },
});

describe('config API', () => {
  test('inspect and list show the data (as docker does), never past versions', async () => {
    const { configs, store } = setup();
    const { ID } = await configs.create({ Name: 'site', Data: b64('server {}') });
    expect(configs.inspect('site').Spec).toEqual({ Name: 'site', Labels: {}, Data: b64('server {}') });
    await configs.update(ID, configs.inspect(ID).Version.Index, { Name: 'site', Data: b64('server { listen 80; }') });
    expect(store.state.get('configs', ID)!.PastData).toBeUndefined(); // nothing pinned v1
    expect(configs.inspect('site').DataVersion).toBe(2);
    expect(JSON.stringify(configs.list())).not.toContain('PastData');
  });

  test("docker's limit for configs is 1000 KB; names conflict with a 409", async () => {
    const { configs } = setup();
    const e = await configs
      .create({ Name: 'big', Data: Buffer.alloc(1000 * 1024).toString('base64') })
      .catch((x: Error) => x);
    expect((e as Error).message).toBe('config data must be larger than 0 and less than 1024000 bytes');
    await configs.create({ Name: 'big', Data: Buffer.alloc(1000 * 1024 - 1).toString('base64') });
    const dup = await configs.create({ Name: 'big', Data: b64('x') }).catch((x: Error & { status: number }) => x);
    expect([(dup as Error).message, (dup as { status: number }).status]).toEqual(['config big already exists', 409]);
  });

  test('in use: not removable; a data change rolls the services using it', async () => {
    const { configs, services } = setup();
    const { ID } = await configs.create({ Name: 'site', Data: b64('a') });
    await services.create(usingConfig('web', ID));
    await expect(configs.remove('site')).rejects.toThrow("config 'site' is in use by the following service: web");
    const { Rolled } = await configs.update('site', configs.inspect('site').Version.Index, {
      Name: 'site',
      Labels: { l: '1' },
      Data: b64('b'),
    });
    expect(Rolled).toEqual(['web']);
    const web = services.inspect('web');
    expect(web.Spec.TaskTemplate.ContainerSpec.Configs![0]!.DataVersion).toBe(2);
    expect(web.PreviousSpec!.TaskTemplate.ContainerSpec.Configs![0]!.DataVersion).toBe(1);
    expect(web.UpdateStatus?.State).toBe('updating');
    expect(configs.inspect('site').Spec.Labels).toEqual({ l: '1' });
  });

  test('a golang template config is parsed at create and at a data change', async () => {
    const { configs } = setup();
    await configs.create({ Name: 't', Data: b64('host={{.Node.Hostname}}'), Templating: { Name: 'golang' } });
    const v = configs.inspect('t').Version.Index;
    await expect(
      configs.update('t', v, { Name: 't', Data: b64('{{ nope }}'), Templating: { Name: 'golang' } }),
    ).rejects.toThrow('template: :1: function "nope" not defined');
  });
});
