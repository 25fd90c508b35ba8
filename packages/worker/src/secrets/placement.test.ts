import { TaskState, type AssignedDependency, type ContainerSpec, type Task } from '@flotilla/manager';
import { DependencyStore } from '../agent/dependencies';
import { TaskRejectedError } from '../agent/errors';
import { containerRequest } from '../executor/container-spec';
import { configTarget, secretTarget, taskFiles, tmpfsSize } from './placement';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const file = (Name: string, Mode = 0o444, UID = '0', GID = '0') => ({ Name, UID, GID, Mode });

function task(c: Partial<ContainerSpec>): Task {
  return {
    ID: 'task1',
    Version: { Index: 1 },
    CreatedAt: '',
    UpdatedAt: '',
    ServiceID: 'svc1',
    Slot: 3,
    NodeID: 'node1',
    Spec: { ContainerSpec: { Image: 'busybox', ...c } },
    SpecVersion: { Index: 1 },
    Status: { Timestamp: '', State: TaskState.ASSIGNED, Message: '' },
    DesiredState: TaskState.RUNNING,
    ServiceAnnotations: { Name: 'web', Labels: { tier: 'front' } },
  };
}

function held(...deps: [kind: 'secret' | 'config', dep: AssignedDependency][]): DependencyStore {
  const s = new DependencyStore();
  for (const [kind, dep] of deps) s.apply(kind, 'UPDATE', Buffer.from(JSON.stringify(dep)));
  return s;
}

const opts = {
  serviceName: 'web',
  taskName: 'web.3.task1',
  node: { hostname: 'vm1', platform: { Architecture: 'x86_64', OS: 'linux' } },
};

describe('where secrets and configs go in the container', () => {
  it('secrets under /run/secrets unless absolute; configs at /<name> or the absolute target', () => {
    expect(secretTarget({ SecretID: 's', SecretName: 'pw' })).toBe('/run/secrets/pw');
    expect(secretTarget({ SecretID: 's', SecretName: 'pw', File: file('db/pass') })).toBe('/run/secrets/db/pass');
    expect(secretTarget({ SecretID: 's', SecretName: 'pw', File: file('/etc/pw') })).toBe('/etc/pw');
    expect(configTarget({ ConfigID: 'c', ConfigName: 'app.conf' })).toBe('/app.conf');
    expect(configTarget({ ConfigID: 'c', ConfigName: 'x', File: file('/etc/nginx/nginx.conf') })).toBe(
      '/etc/nginx/nginx.conf',
    );
  });

  it('writes each file with its mode and owner (default 0444, 0:0), at the pinned version', () => {
    const deps = held(
      ['secret', { ID: 's1', Name: 'pw', DataVersion: 1, Data: b64('old') }],
      ['secret', { ID: 's1', Name: 'pw', DataVersion: 2, Data: b64('new') }],
      ['config', { ID: 'c1', Name: 'app.conf', DataVersion: 1, Data: b64('x=1') }],
    );
    const t = task({
      Secrets: [{ SecretID: 's1', SecretName: 'pw', File: file('pw', 0o400, '1000', '50'), DataVersion: 1 }],
      Configs: [
        { ConfigID: 'c1', ConfigName: 'app.conf', File: file('/etc/app.conf'), DataVersion: 1 },
        { ConfigID: 'c9', ConfigName: 'cred', Runtime: {} },
      ],
    });
    const files = taskFiles(t, deps, opts);
    expect(files.map((f) => ({ ...f, data: f.data.toString() }))).toEqual([
      { name: 'secret-0', target: '/run/secrets/pw', uid: 1000, gid: 50, mode: 0o400, data: 'old' },
      { name: 'config-0', target: '/etc/app.conf', uid: 0, gid: 0, mode: 0o444, data: 'x=1' },
    ]);
    // An unpinned reference takes the newest version held.
    const unpinned = task({ Secrets: [{ SecretID: 's1', SecretName: 'pw' }] });
    expect(taskFiles(unpinned, deps, opts)[0]).toMatchObject({ target: '/run/secrets/pw', mode: 0o444 });
    expect(taskFiles(unpinned, deps, opts)[0]!.data.toString()).toBe('new');
    expect(tmpfsSize(files)).toBe(16 * 4096 + 2 * 2 * 4096);
  });

  it('rejects a task whose secret or config the node did not get, naming it', () => {
    const deps = held(['secret', { ID: 's1', Name: 'pw', DataVersion: 1, Data: b64('x') }]);
    const reject = (c: Partial<ContainerSpec>) => () => taskFiles(task(c), deps, opts);
    expect(reject({ Secrets: [{ SecretID: 's1', SecretName: 'pw', DataVersion: 2 }] })).toThrow(
      new TaskRejectedError('secret not found: pw'),
    );
    expect(reject({ Configs: [{ ConfigID: 'c1', ConfigName: 'app.conf', File: file('a') }] })).toThrow(
      'config not found: app.conf',
    );
    expect(reject({ Secrets: [{ SecretID: 's1', SecretName: 'pw', File: file('pw', 0o444, 'root') }] })).toThrow(
      /invalid UID "root" for secret pw/,
    );
    expect(
      reject({
        Secrets: [
          { SecretID: 's1', SecretName: 'pw', File: file('a') },
          { SecretID: 's1', SecretName: 'pw', File: file('/run/secrets/a') },
        ],
      }),
    ).toThrow(/same target: \/run\/secrets\/a/);
  });

  it('expands a golang template for the task: service, node, task, env, and its own secrets by target', () => {
    const tpl =
      '{{.Service.Name}}/{{.Service.ID}} {{.Service.Labels}} {{.Node.ID}}@{{.Node.Hostname}} ' +
      '{{.Task.Name}}#{{.Task.Slot}} {{env "DB"}} pw={{secret "pw"}} conf={{config "app.conf"}}';
    const deps = held(
      ['secret', { ID: 's1', Name: 'pw', DataVersion: 1, Data: b64('hunter2') }],
      ['secret', { ID: 's2', Name: 'dsn', DataVersion: 1, Data: b64(tpl), Templating: { Name: 'golang' } }],
      ['config', { ID: 'c1', Name: 'app.conf', DataVersion: 1, Data: b64('x=1') }],
    );
    const t = task({
      Env: ['DB=postgres', 'EMPTY='],
      Secrets: [
        { SecretID: 's1', SecretName: 'pw', File: file('pw'), DataVersion: 1 },
        { SecretID: 's2', SecretName: 'dsn', File: file('dsn'), DataVersion: 1 },
      ],
      Configs: [{ ConfigID: 'c1', ConfigName: 'app.conf', File: file('app.conf'), DataVersion: 1 }],
    });
    expect(taskFiles(t, deps, opts)[1]!.data.toString()).toBe(
      'web/svc1 map[tier:front] node1@vm1 web.3.task1#3 postgres pw=hunter2 conf=x=1',
    );
    // A template naming a secret the task does not have rejects the task, saying so.
    const bad = held([
      'secret',
      { ID: 's3', Name: 't', DataVersion: 1, Data: b64('{{secret "nope"}}'), Templating: { Name: 'golang' } },
    ]);
    expect(() =>
      taskFiles(task({ Secrets: [{ SecretID: 's3', SecretName: 't', DataVersion: 1 }] }), bad, opts),
    ).toThrow(/secret t: template: .*secret "nope"/);
  });

  it('binds each file read-only at its target in the container request', () => {
    const req = containerRequest(task({}), {
      serviceName: 'web',
      network: null,
      aliases: [],
      files: [{ source: '/run/flotilla/abc/secrets/task1/secret-0', target: '/run/secrets/pw' }],
    });
    expect(req.HostConfig?.Mounts).toEqual([
      { Type: 'bind', Source: '/run/flotilla/abc/secrets/task1/secret-0', Target: '/run/secrets/pw', ReadOnly: true },
    ]);
  });
});

describe('the dependency store', () => {
  it('keeps versions apart, removes by version, and retains only what a COMPLETE set names', () => {
    const s = new DependencyStore();
    const dep = (v: number) =>
      Buffer.from(JSON.stringify({ ID: 's1', Name: 'pw', DataVersion: v, Data: b64(`v${v}`) }));
    const k1 = s.apply('secret', 'UPDATE', dep(1));
    s.apply('secret', 'UPDATE', dep(2));
    s.apply('config', 'UPDATE', dep(1));
    expect(s.keys()).toEqual(['config/s1/1', 'secret/s1/1', 'secret/s1/2']);
    s.apply('secret', 'REMOVE', Buffer.from(JSON.stringify({ ID: 's1', DataVersion: 2 })));
    expect(s.get('secret', 's1')?.DataVersion).toBe(1);
    s.retain(new Set([k1]));
    expect(s.keys()).toEqual(['secret/s1/1']);
    // Malformed input is refused without echoing it (it may carry a secret).
    expect(() => s.apply('secret', 'UPDATE', Buffer.from('{"ID":"x","Data":"hunter2"'))).toThrow(
      'malformed secret in an assignment from the manager',
    );
  });
});
