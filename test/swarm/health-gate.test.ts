// swarmkit's health gate with real containers under runc: a task whose container has a
// healthcheck stays STARTING until healthy, and fails with docker's "task: container is unhealthy"
// (its container stopped) when the healthcheck fails.
import { TaskState, type Task } from '@flotilla/manager';
import { runTask, startTestEngine, testTask, type TestEngine } from './engine-fixture';

jest.setTimeout(60_000);

const MS = 1e6;
let engine: TestEngine;
beforeAll(async () => {
  engine = await startTestEngine('health-gate');
});
afterAll(async () => {
  await engine.close();
});

const task = (cmd: string[], healthTest: string, startPeriod = 0): Task =>
  testTask('hgate', {
    ContainerSpec: {
      Image: 'busybox',
      Args: cmd,
      StopGracePeriod: 1e9,
      Healthcheck: { Test: ['CMD-SHELL', healthTest], Interval: 100 * MS, Retries: 2, StartPeriod: startPeriod },
    },
  });
const run = (t: Task) => runTask(engine.executor, t);

const byTask = (t: Task) =>
  engine.containers.list({ all: true, filters: { label: [`com.docker.swarm.task.id=${t.ID}`] } })[0];

test('a task with a healthcheck stays STARTING until healthy, then RUNNING; unhealthy later fails it and stops its container', async () => {
  // A long start period: failures before the first success do not count, so it stays starting.
  const t = task(['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.1; done'], 'test -f /tmp/ok', 60_000 * MS);
  const r = run(t);
  await r.reached(TaskState.STARTING);
  // The container runs and its probes fail, and the task is not RUNNING.
  for (
    let i = 0;
    i < 400 &&
    (byTask(t)?.State !== 'running' ||
      (engine.containers.inspect(byTask(t)?.Id ?? '').State.Health?.Log.length ?? 0) < 2);
    i++
  )
    await new Promise((res) => setTimeout(res, 25));
  const id = byTask(t)?.Id ?? '';
  expect(engine.containers.inspect(id).State.Health).toMatchObject({ Status: 'starting', FailingStreak: 0 });
  expect(engine.containers.inspect(id).State.Health?.Log.length).toBeGreaterThanOrEqual(2);
  expect(r.states.some((s) => s.State === TaskState.RUNNING)).toBe(false);

  const touch = engine.containers.execCreate(id, { Cmd: ['touch', '/tmp/ok'] });
  expect(await (await engine.containers.execStart(touch.Id)).exitCode).toBe(0);
  const running = await r.reached(TaskState.RUNNING);
  expect(running.ContainerStatus?.ContainerID).toBe(id);
  expect(engine.containers.inspect(id).State.Health?.Status).toBe('healthy');

  const rm = engine.containers.execCreate(id, { Cmd: ['rm', '/tmp/ok'] });
  expect(await (await engine.containers.execStart(rm.Id)).exitCode).toBe(0);
  const failed = await r.reached(TaskState.FAILED);
  expect(failed.Err).toBe('task: container is unhealthy');
  expect(engine.containers.inspect(id).State.Running).toBe(false);
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
