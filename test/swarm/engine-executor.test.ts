// Swarm tasks run as real containers under runc through the engine-backed executor and the
// agent's task runner: limits reach the cgroup, exit codes become task states, a missing image
// rejects the task with docker's text.
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupDaemonCgroups, ContainerManager, controllerDir, dataPaths, ImageStore, importRootfs, VolumeStore, type DataPaths } from '@flotilla/engine-core';
import { TaskState, type Task, type TaskStatus } from '@flotilla/manager';
import { EngineExecutor, TaskRunner } from '@flotilla/worker';
import { makeBusyboxRootfsTar } from '../../packages/engine-core/src/testing/busybox-rootfs';

jest.setTimeout(60_000);

let base: string;
let paths: DataPaths;
let images: ImageStore;
let containers: ContainerManager;
let executor: EngineExecutor;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'flotilla-exec-'));
  paths = dataPaths(join(base, 'data'), join(base, 'run'));
  images = await ImageStore.open(paths.images);
  const { tar } = makeBusyboxRootfsTar(base);
  await importRootfs(images, createReadStream(tar), { tag: 'busybox:latest' });
  const volumes = new VolumeStore(paths.volumes);
  await volumes.init();
  containers = new ContainerManager({ paths, images, volumes });
  await containers.init();
  executor = new EngineExecutor({
    containers,
    images,
    serviceName: () => 'lab_web',
    network: async () => ({ name: 'none', aliases: [] }),
    engineVersion: 'test',
  });
});

afterAll(async () => {
  for (const c of containers.list({ all: true })) await containers.remove(c.Id, { force: true });
  await containers.shutdown();
  await cleanupDaemonCgroups(paths);
  rmSync(base, { recursive: true, force: true });
});

let n = 0;
function task(cmd: string[], extra: Partial<Task['Spec']> = {}, image = 'busybox'): Task {
  n++;
  return {
    ID: `task${n}abcdefghijklmnopqrs`.slice(0, 25), Version: { Index: 1 }, CreatedAt: '', UpdatedAt: '',
    ServiceID: 'svc1', Slot: n, NodeID: 'node1',
    Spec: { ContainerSpec: { Image: image, Args: cmd, StopGracePeriod: 1e9 }, ...extra },
    SpecVersion: { Index: 1 },
    Status: { Timestamp: '', State: TaskState.ASSIGNED, Message: '' },
    DesiredState: TaskState.RUNNING,
  };
}

function run(t: Task) {
  const states: TaskStatus[] = [];
  const runner = new TaskRunner(t, executor.controller(t), (_id, s) => states.push(s));
  runner.drive();
  const reached = async (s: TaskState) => {
    for (let i = 0; i < 400 && !states.some((x) => x.State === s); i++) await new Promise((r) => setTimeout(r, 25));
    const hit = states.find((x) => x.State === s);
    if (!hit) throw new Error(`never reached ${TaskState[s]}: ${JSON.stringify(states)}`);
    return hit;
  };
  return { runner, states, reached };
}

test('a replica runs with its limits in its cgroup, then shuts down when desired', async () => {
  const t = task(['sleep', '60'], { Resources: { Limits: { NanoCPUs: 1e8, MemoryBytes: 50 * 2 ** 20 } } });
  const r = run(t);
  const running = await r.reached(TaskState.RUNNING);
  const id = running.ContainerStatus!.ContainerID!;
  const c = containers.inspect(id);
  expect(c.Name).toBe(`/lab_web.${t.Slot}.${t.ID}`);
  expect(c.Config.Labels['com.docker.swarm.task.id']).toBe(t.ID);
  expect(c.HostConfig.NanoCpus).toBe(1e8);
  expect(readFileSync(join(controllerDir(paths, id, 'cpu'), 'cpu.cfs_quota_us'), 'utf8').trim()).toBe('10000');
  expect(readFileSync(join(controllerDir(paths, id, 'memory'), 'memory.limit_in_bytes'), 'utf8').trim()).toBe(String(50 * 2 ** 20));
  r.runner.update({ ...t, DesiredState: TaskState.SHUTDOWN });
  await r.reached(TaskState.SHUTDOWN);
  expect(containers.inspect(id).State.Running).toBe(false);
  await r.runner.remove();
  expect(() => containers.inspect(id)).toThrow();
});

test('a non-zero exit fails the task like docker: task: non-zero exit (3)', async () => {
  const r = run(task(['sh', '-c', 'exit 3']));
  const failed = await r.reached(TaskState.FAILED);
  expect(failed.Err).toBe('task: non-zero exit (3)');
  expect(failed.ContainerStatus?.ExitCode).toBe(3);
  await r.runner.remove();
});

test('a clean exit completes the task', async () => {
  const r = run(task(['true']));
  await r.reached(TaskState.COMPLETE);
  await r.runner.remove();
});

test('a missing image rejects the task with "No such image"', async () => {
  const r = run(task(['true'], {}, 'nope:1'));
  const rejected = await r.reached(TaskState.REJECTED);
  expect(rejected.Err).toBe('No such image: nope:1');
});
