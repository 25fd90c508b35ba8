// swarmkit's health gate with real containers under runc: a task whose container has a
// healthcheck stays STARTING until healthy, and fails with docker's "task: container is unhealthy"
// (its container stopped) when the healthcheck fails.
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupDaemonCgroups, ContainerManager, dataPaths, ImageStore, importRootfs, VolumeStore, type DataPaths } from '@flotilla/engine-core';
import { TaskState, type Task, type TaskStatus } from '@flotilla/manager';
import { EngineExecutor, TaskRunner } from '@flotilla/worker';
import { makeBusyboxRootfsTar } from '../../packages/engine-core/src/testing/busybox-rootfs';

jest.setTimeout(60_000);

const MS = 1e6;
let base: string;
let paths: DataPaths;
let containers: ContainerManager;
let executor: EngineExecutor;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'flotilla-health-gate-'));
  paths = dataPaths(join(base, 'data'), join(base, 'run'));
  const images = await ImageStore.open(paths.images);
  const { tar } = makeBusyboxRootfsTar(base);
  await importRootfs(images, createReadStream(tar), { tag: 'busybox:latest' });
  const volumes = new VolumeStore(paths.volumes);
  await volumes.init();
  containers = new ContainerManager({ paths, images, volumes });
  await containers.init();
  executor = new EngineExecutor({ containers, images, serviceName: () => 'lab_web', network: async () => ({ name: 'none', aliases: [] }), engineVersion: 'test' });
});

afterAll(async () => {
  for (const c of containers.list({ all: true })) await containers.remove(c.Id, { force: true });
  await containers.shutdown();
  await cleanupDaemonCgroups(paths);
  rmSync(base, { recursive: true, force: true });
});

let n = 0;
function task(cmd: string[], healthTest: string, startPeriod = 0): Task {
  n++;
  return {
    ID: `hgate${n}abcdefghijklmnopqrs`.slice(0, 25), Version: { Index: 1 }, CreatedAt: '', UpdatedAt: '',
    ServiceID: 'svc1', Slot: n, NodeID: 'node1',
    Spec: { ContainerSpec: { Image: 'busybox', Args: cmd, StopGracePeriod: 1e9, Healthcheck: { Test: ['CMD-SHELL', healthTest], Interval: 100 * MS, Retries: 2, StartPeriod: startPeriod } } },
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
    for (let i = 0; i < 600 && !states.some((x) => x.State === s); i++) await new Promise((r) => setTimeout(r, 25));
    const hit = states.find((x) => x.State === s);
    if (!hit) throw new Error(`never reached ${TaskState[s]}: ${JSON.stringify(states)}`);
    return hit;
  };
  return { runner, states, reached };
}

const byTask = (t: Task) => containers.list({ all: true, filters: { label: [`com.docker.swarm.task.id=${t.ID}`] } })[0];

test('a task with a healthcheck stays STARTING until healthy, then RUNNING; unhealthy later fails it and stops its container', async () => {
  // A long start period: failures before the first success do not count, so it stays starting.
  const t = task(['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.1; done'], 'test -f /tmp/ok', 60_000 * MS);
  const r = run(t);
  await r.reached(TaskState.STARTING);
  // The container runs and its probes fail, and the task is not RUNNING.
  for (let i = 0; i < 400 && (byTask(t)?.State !== 'running' || (containers.inspect(byTask(t)?.Id ?? '').State.Health?.Log.length ?? 0) < 2); i++) await new Promise((res) => setTimeout(res, 25));
  const id = byTask(t)?.Id ?? '';
  expect(containers.inspect(id).State.Health).toMatchObject({ Status: 'starting', FailingStreak: 0 });
  expect(containers.inspect(id).State.Health?.Log.length).toBeGreaterThanOrEqual(2);
  expect(r.states.some((s) => s.State === TaskState.RUNNING)).toBe(false);

  const touch = containers.execCreate(id, { Cmd: ['touch', '/tmp/ok'] });
  expect(await (await containers.execStart(touch.Id)).exitCode).toBe(0);
  const running = await r.reached(TaskState.RUNNING);
  expect(running.ContainerStatus?.ContainerID).toBe(id);
  expect(containers.inspect(id).State.Health?.Status).toBe('healthy');

  const rm = containers.execCreate(id, { Cmd: ['rm', '/tmp/ok'] });
  expect(await (await containers.execStart(rm.Id)).exitCode).toBe(0);
  const failed = await r.reached(TaskState.FAILED);
  expect(failed.Err).toBe('task: container is unhealthy');
  expect(containers.inspect(id).State.Running).toBe(false);
  await r.runner.remove();
  expect(byTask(t)).toBeUndefined();
});

test('a task whose container never becomes healthy fails from STARTING without reaching RUNNING', async () => {
  const t = task(['sleep', '60'], 'exit 1');
  const r = run(t);
  const failed = await r.reached(TaskState.FAILED);
  expect(failed.Err).toBe('task: container is unhealthy');
  expect(r.states.some((s) => s.State === TaskState.RUNNING)).toBe(false);
  expect(byTask(t)?.State).toBe('exited');
  await r.runner.remove();
});
