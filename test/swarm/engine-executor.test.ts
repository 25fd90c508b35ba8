// Swarm tasks run as real containers under runc through the engine-backed executor and the
// agent's task runner: limits reach the cgroup, exit codes become task states, a missing image
// rejects the task with docker's text.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { controllerDir } from '@flotilla/engine-core';
import { TaskState, type Task } from '@flotilla/manager';
import { runTask, startTestEngine, testTask, type TestEngine } from './engine-fixture';

jest.setTimeout(60_000);

let engine: TestEngine;
beforeAll(async () => {
  engine = await startTestEngine('exec');
});
afterAll(async () => {
  await engine.close();
});

const task = (cmd: string[], extra: Partial<Task['Spec']> = {}, image = 'busybox'): Task =>
  testTask('task', { ContainerSpec: { Image: image, Args: cmd, StopGracePeriod: 1e9 }, ...extra });
const run = (t: Task) => runTask(engine.executor, t, 10_000);

test('a replica runs with its limits in its cgroup, then shuts down when desired', async () => {
  const t = task(['sleep', '60'], { Resources: { Limits: { NanoCPUs: 1e8, MemoryBytes: 50 * 2 ** 20 } } });
  const r = run(t);
  const running = await r.reached(TaskState.RUNNING);
  const id = running.ContainerStatus!.ContainerID!;
  const c = engine.containers.inspect(id);
  expect(c.Name).toBe(`/lab_web.${t.Slot}.${t.ID}`);
  expect(c.Config.Labels['com.docker.swarm.task.id']).toBe(t.ID);
  expect(c.HostConfig.NanoCpus).toBe(1e8);
  expect(readFileSync(join(controllerDir(engine.paths, id, 'cpu'), 'cpu.cfs_quota_us'), 'utf8').trim()).toBe('10000');
  expect(readFileSync(join(controllerDir(engine.paths, id, 'memory'), 'memory.limit_in_bytes'), 'utf8').trim()).toBe(
    String(50 * 2 ** 20),
  );
  r.runner.update({ ...t, DesiredState: TaskState.SHUTDOWN });
  await r.reached(TaskState.SHUTDOWN);
  expect(engine.containers.inspect(id).State.Running).toBe(false);
  await r.runner.remove();
  expect(() => engine.containers.inspect(id)).toThrow();
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
