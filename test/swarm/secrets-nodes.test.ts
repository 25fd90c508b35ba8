// Two swarm nodes in this process (a manager and a worker, each with its own engine): a node gets
// a secret only with a task that uses it. A secret used only on the worker never reaches the
// manager's worker agent and vice versa (sampled all along, not just at the end), neither node's
// disk holds a value, and a node drops a secret and its tmpfs when its last task using it goes.
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { TaskState, type ServiceSpec } from '@flotilla/manager';
import { freePort } from '../engine/harness';
import { until } from './until';
import { startNode, stopNode, type TestNode } from './node-fixture';
import { filesHolding, mountsUnder } from '../host-traces';

jest.setTimeout(120_000);

const secretsDir = (n: TestNode) => join(dirname(n.paths.runcRoot), 'secrets');

let a: TestNode;
let b: TestNode;

beforeAll(async () => {
  const node = (name: string) => startNode({ prefix: `secrets-${name}`, hostname: name, heartbeatPeriodMs: 500 });
  [a, b] = await Promise.all([node('mgr'), node('wrk')]);
});

afterAll(async () => {
  await stopNode(b);
  await stopNode(a);
});

test('each node gets only the secrets of its own tasks, and drops them with its last task', async () => {
  const [pa, pb] = [await freePort(), await freePort()];
  await a.node.init({ ListenAddr: `127.0.0.1:${pa}`, AdvertiseAddr: `127.0.0.1:${pa}` });
  const mgr = a.node.requireManager();
  await b.node.join({
    RemoteAddrs: [`127.0.0.1:${pa}`],
    JoinToken: mgr.cluster.joinToken('worker'),
    ListenAddr: `127.0.0.1:${pb}`,
    AdvertiseAddr: `127.0.0.1:${pb}`,
  });
  await until(
    () => mgr.store.state.list('nodes').filter((n) => n.Status.State === 'ready').length,
    (n) => n === 2,
    'two ready nodes',
  );
  const onWorker = `worker-only-${randomBytes(8).toString('hex')}`;
  const onManager = `manager-only-${randomBytes(8).toString('hex')}`;
  const meta = { Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', DataVersion: 1 };
  await mgr.store.update((tx) => {
    tx.create('secrets', { ID: 'sw', ...meta, Spec: { Name: 'sw', Data: Buffer.from(onWorker).toString('base64') } });
    tx.create('secrets', { ID: 'sm', ...meta, Spec: { Name: 'sm', Data: Buffer.from(onManager).toString('base64') } });
  });

  // What each node's agent ever held, sampled every 10 ms from here on.
  const seen = { a: new Set<string>(), b: new Set<string>() };
  const sampler = setInterval(() => {
    for (const k of a.node.agent?.dependencies.keys() ?? []) seen.a.add(k);
    for (const k of b.node.agent?.dependencies.keys() ?? []) seen.b.add(k);
  }, 10);
  try {
    const spec = (name: string, secret: string, role: string, replicas: number): ServiceSpec => ({
      Name: name,
      TaskTemplate: {
        ContainerSpec: {
          Image: 'busybox:latest',
          Args: ['sleep', '600'],
          StopGracePeriod: 1e9,
          Secrets: [
            {
              SecretID: secret,
              SecretName: secret,
              File: { Name: secret, UID: '0', GID: '0', Mode: 0o444 },
              DataVersion: 1,
            },
          ],
        },
        Placement: { Constraints: [`node.role==${role}`] },
      },
      Mode: { Replicated: { Replicas: replicas } },
    });
    const w = await mgr.services.create(spec('w', 'sw', 'worker', 2));
    await mgr.services.create(spec('m', 'sm', 'manager', 1));
    const running = (serviceId?: string) =>
      mgr.store.state
        .list('tasks')
        .filter(
          (t) =>
            (!serviceId || t.ServiceID === serviceId) &&
            t.Status.State === TaskState.RUNNING &&
            t.DesiredState === TaskState.RUNNING,
        );
    await until(
      () => running().length,
      (n) => n === 3,
      'three tasks running',
    );
    expect(new Set(running(w.ID).map((t) => t.NodeID))).toEqual(new Set([b.node.state!.nodeId]));
    // Two tasks of one version on the worker: the secret once, a tmpfs per task.
    expect(b.node.agent!.dependencies.keys()).toEqual(['secret/sw/1']);
    expect(a.node.agent!.dependencies.keys()).toEqual(['secret/sm/1']);
    expect(mountsUnder(secretsDir(b))).toHaveLength(2);
    expect(mountsUnder(secretsDir(a))).toHaveLength(1);
    // The worker has no Raft log: neither value, in any form, is anywhere under its data root.
    for (const v of [onWorker, onManager, Buffer.from(onWorker).toString('base64')])
      expect(filesHolding(b.paths.root, v)).toEqual([]);
    expect(filesHolding(a.paths.root, onWorker)).toEqual([]);
    expect(filesHolding(a.paths.root, onManager)).toEqual([]);

    // Scaled to 0: the worker drops the secret and both tmpfs.
    const svc = mgr.services.inspect('w');
    await mgr.services.update('w', svc.Version.Index, spec('w', 'sw', 'worker', 0));
    await until(
      () => b.node.agent!.dependencies.keys(),
      (k) => k.length === 0,
      'the worker dropping the secret',
    );
    await until(
      () => mountsUnder(secretsDir(b)).length,
      (n) => n === 0,
      "the worker's tmpfs unmounted",
    );
    expect(a.node.agent!.dependencies.keys()).toEqual(['secret/sm/1']);
  } finally {
    clearInterval(sampler);
  }
  expect([...seen.b]).toEqual(['secret/sw/1']);
  expect([...seen.a]).toEqual(['secret/sm/1']);

  await b.node.leave(true);
  await a.node.leave(true);
  expect(mountsUnder(secretsDir(a))).toEqual([]);
  expect(mountsUnder(secretsDir(b))).toEqual([]);
});
