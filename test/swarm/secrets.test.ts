// Secrets and configs delivered to real runc containers on a one-node swarm: the dispatcher sends
// them with the task, the worker keeps them in memory and mounts a per-task tmpfs; the files sit
// read-only at /run/secrets/<name> and /<config target> with their modes and owners, a template
// is expanded for the task, nothing reaches the disk, a missing secret rejects only its task, two
// versions live side by side, and the tmpfs goes with the task.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TaskState, type ServiceSpec, type SecretObject, type Store } from '@flotilla/manager';
import { freePort } from '../engine/harness';
import { until } from './until';
import { startNode, stopNode, type TestNode } from './node-fixture';
import { filesHolding, mountsUnder } from '../host-traces';

jest.setTimeout(120_000);

let n: TestNode;

beforeAll(async () => {
  n = await startNode({ prefix: 'secrets' });
});

afterAll(async () => {
  // Nothing of ours may stay mounted: a leftover would make the rm of the temp dir fail (EBUSY).
  await stopNode(n, { beforeRemove: ({ base }) => expect(mountsUnder(base)).toEqual([]) });
});

const b64 = (s: string) => Buffer.from(s).toString('base64');
const file = (Name: string, Mode: number, UID = '0', GID = '0') => ({ Name, UID, GID, Mode });

async function exec(id: string, cmd: string[]): Promise<{ code: number; out: string }> {
  const { Id } = n.containers.execCreate(id, { Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const started = await n.containers.execStart(Id);
  let out = '';
  for await (const chunk of started.output) out += Buffer.from(chunk.data).toString('utf8');
  return { code: await started.exitCode, out };
}

function secretObject(id: string, name: string, data: string, extra: Partial<SecretObject> = {}): SecretObject {
  return {
    ID: id,
    Version: { Index: 0 },
    CreatedAt: '',
    UpdatedAt: '',
    Spec: { Name: name, Data: b64(data) },
    DataVersion: 1,
    ...extra,
  };
}

const running = (store: Store, serviceId: string) =>
  store.state
    .list('tasks')
    .filter(
      (t) => t.ServiceID === serviceId && t.Status.State === TaskState.RUNNING && t.DesiredState === TaskState.RUNNING,
    );

test('secrets and configs reach the task read-only from its tmpfs, and go with it', async () => {
  const { base, paths, node } = n;
  // What a crashed run left: a task's tmpfs, still mounted. The agent clears it when it starts.
  const secretsDir = join(dirname(paths.runcRoot), 'secrets');
  const leftover = join(secretsDir, 'crashedtask1');
  mkdirSync(leftover, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'flotilla-secrets', leftover]);
  expect(mountsUnder(secretsDir)).toEqual([leftover]);
  const port = await freePort();
  await node.init({ ListenAddr: `127.0.0.1:${port}`, AdvertiseAddr: `127.0.0.1:${port}` });
  const mgr = node.requireManager();
  expect(mountsUnder(secretsDir)).toEqual([]);
  expect(existsSync(leftover)).toBe(false);
  const value = `hunter2-${randomBytes(8).toString('hex')}`;
  const conf = `listen=${randomBytes(8).toString('hex')}`;
  await mgr.store.update((tx) => {
    tx.create('secrets', secretObject('sec1', 'db_pw', value));
    const tpl = secretObject(
      'sec2',
      'dsn',
      'svc={{.Service.Name}} task={{.Task.Name}} db={{env "DB"}} pw={{secret "db_pw"}}',
    );
    tx.create('secrets', { ...tpl, Spec: { ...tpl.Spec, Templating: { Name: 'golang' } } });
    tx.create('configs', {
      ID: 'cfg1',
      Version: { Index: 0 },
      CreatedAt: '',
      UpdatedAt: '',
      Spec: { Name: 'app.conf', Data: b64(conf) },
      DataVersion: 1,
    });
  });
  const spec: ServiceSpec = {
    Name: 'app',
    TaskTemplate: {
      ContainerSpec: {
        Image: 'busybox:latest',
        Args: ['sleep', '600'],
        Env: ['DB=main'],
        StopGracePeriod: 1e9,
        Secrets: [
          { SecretID: 'sec1', SecretName: 'db_pw', File: file('db_pw', 0o444), DataVersion: 1 },
          { SecretID: 'sec2', SecretName: 'dsn', File: file('dsn', 0o400, '1000', '1000'), DataVersion: 1 },
        ],
        Configs: [
          { ConfigID: 'cfg1', ConfigName: 'app.conf', File: file('/etc/app.conf', 0o440, '0', '50'), DataVersion: 1 },
        ],
      },
    },
    Mode: { Replicated: { Replicas: 1 } },
  };
  const { ID: serviceId } = await mgr.services.create(spec);
  await until(
    () => running(mgr.store, serviceId),
    (r) => r.length === 1,
    'the task running',
  );
  const task = running(mgr.store, serviceId)[0]!;
  const cid = task.Status.ContainerStatus!.ContainerID!;

  // Inside: content, mode, owner, read-only.
  expect(await exec(cid, ['cat', '/run/secrets/db_pw'])).toEqual({ code: 0, out: value });
  expect(await exec(cid, ['cat', '/etc/app.conf'])).toEqual({ code: 0, out: conf });
  const expanded = `svc=app task=app.${task.Slot}.${task.ID} db=main pw=${value}`;
  expect(await exec(cid, ['cat', '/run/secrets/dsn'])).toEqual({ code: 0, out: expanded });
  const stat = await exec(cid, [
    'stat',
    '-c',
    '%n %a %u %g',
    '/run/secrets/db_pw',
    '/run/secrets/dsn',
    '/etc/app.conf',
  ]);
  expect(stat.out.trim().split('\n')).toEqual([
    '/run/secrets/db_pw 444 0 0',
    '/run/secrets/dsn 400 1000 1000',
    '/etc/app.conf 440 0 50',
  ]);
  const write = await exec(cid, ['sh', '-c', 'echo x > /run/secrets/db_pw']);
  expect(write.code).not.toBe(0);
  expect(write.out).toMatch(/Read-only file system/);
  expect((await exec(cid, ['cat', '/run/secrets/db_pw'])).out).toBe(value);

  // On the host: one tmpfs for the task, named from the daemon's instance and the task ID, 0700.
  const tmpfs = join(dirname(paths.runcRoot), 'secrets', task.ID);
  expect(dirname(paths.runcRoot)).toBe(join(base, 'run', paths.instance));
  expect(mountsUnder(secretsDir)).toEqual([tmpfs]);
  expect(statSync(tmpfs).mode & 0o777).toBe(0o700);
  // The worker holds exactly what the task uses; nothing reached the disk. The Raft log keeps
  // the stored (base64) data until encryption at rest; the plain and the expanded values
  // appear nowhere, and the base64 form nowhere outside the Raft log.
  expect(node.agent!.dependencies.keys()).toEqual(['config/cfg1/1', 'secret/sec1/1', 'secret/sec2/1']);
  expect(filesHolding(paths.root, value)).toEqual([]);
  expect(filesHolding(paths.root, expanded)).toEqual([]);
  expect(filesHolding(paths.root, conf)).toEqual([]);
  expect(filesHolding(paths.root, b64(value)).every((f) => f.startsWith(join(paths.root, 'swarm', 'raft')))).toBe(true);

  // A service whose secret is gone (the control API refuses to create one: it is written to the
  // store directly, as a secret deleted under a stored spec would leave it): its task is rejected
  // with docker's text; app runs on.
  const ghost = { ID: 'ghostsvc' };
  await mgr.store.update((tx) =>
    tx.create('services', {
      ID: ghost.ID,
      Version: { Index: 0 },
      CreatedAt: new Date().toISOString(),
      UpdatedAt: new Date().toISOString(),
      Spec: {
        ...spec,
        Name: 'ghost',
        TaskTemplate: {
          ContainerSpec: {
            Image: 'busybox:latest',
            Args: ['sleep', '600'],
            Secrets: [{ SecretID: 'nope', SecretName: 'gone', File: file('gone', 0o444), DataVersion: 1 }],
          },
        },
      },
    }),
  );
  const rejected = await until(
    () => mgr.store.state.list('tasks').find((t) => t.ServiceID === ghost.ID && t.Status.State === TaskState.REJECTED),
    (t) => !!t,
    'the ghost task rejected',
  );
  expect(rejected!.Status.Err).toBe('secret not found: gone');
  await mgr.services.remove('ghost');

  // A new version of db_pw beside the old (an in-place update rolls services one by one): a
  // second service pinned to version 2 gets it; both versions are on the node at once.
  await mgr.store.update((tx) => {
    const s = tx.get('secrets', 'sec1')!;
    tx.update('secrets', {
      ...s,
      Spec: { ...s.Spec, Data: b64(`${value}-v2`) },
      DataVersion: 2,
      PastData: { '1': b64(value) },
    });
  });
  const v2 = await mgr.services.create({
    ...spec,
    Name: 'app2',
    TaskTemplate: {
      ContainerSpec: {
        Image: 'busybox:latest',
        Args: ['sleep', '600'],
        StopGracePeriod: 1e9,
        Secrets: [{ SecretID: 'sec1', SecretName: 'db_pw', File: file('db_pw', 0o444), DataVersion: 2 }],
      },
    },
  });
  await until(
    () => running(mgr.store, v2.ID),
    (r) => r.length === 1,
    'app2 running',
  );
  const cid2 = running(mgr.store, v2.ID)[0]!.Status.ContainerStatus!.ContainerID!;
  expect((await exec(cid2, ['cat', '/run/secrets/db_pw'])).out).toBe(`${value}-v2`);
  expect((await exec(cid, ['cat', '/run/secrets/db_pw'])).out).toBe(value);
  expect(node.agent!.dependencies.keys()).toEqual(['config/cfg1/1', 'secret/sec1/1', 'secret/sec1/2', 'secret/sec2/1']);

  // The first service goes: its tmpfs goes, and the versions only it used leave the node.
  await mgr.services.remove('app');
  await until(
    () => mountsUnder(secretsDir).includes(tmpfs),
    (mounted) => !mounted,
    "app's tmpfs unmounted",
  );
  await until(
    () => node.agent!.dependencies.keys(),
    (k) => k.join() === 'secret/sec1/2',
    'only version 2 held',
  );
  await until(
    () => existsSync(tmpfs),
    (e) => !e,
    "app's tmpfs directory removed",
  );

  // A running container keeps its files when the host side of its tmpfs goes (its binds are
  // private to it): a daemon stop unmounts every tmpfs before the engine stops the containers.
  const tmpfs2 = join(secretsDir, running(mgr.store, v2.ID)[0]!.ID);
  execFileSync('umount', [tmpfs2]);
  expect((await exec(cid2, ['cat', '/run/secrets/db_pw'])).out).toBe(`${value}-v2`);

  // Leaving the swarm removes every task, its tmpfs and everything the worker held.
  await node.leave(true);
  expect(mountsUnder(secretsDir)).toEqual([]);
  expect(existsSync(secretsDir)).toBe(false);
  expect(filesHolding(base, value)).toEqual([]);
});
