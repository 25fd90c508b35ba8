// A real engine (image store with busybox imported, container manager under runc, networkless)
// and the engine-backed executor, for tests that run swarm tasks as containers.
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cleanupDaemonCgroups,
  ContainerManager,
  dataPaths,
  ImageStore,
  importRootfs,
  VolumeStore,
  type DataPaths,
} from '@flotilla/engine-core';
import { TaskState, type Task, type TaskStatus } from '@flotilla/manager';
import { EngineExecutor, TaskRunner } from '@flotilla/worker';
import { makeBusyboxRootfsTar } from '../../packages/engine-core/src/testing/busybox-rootfs';

export interface TestEngine {
  paths: DataPaths;
  images: ImageStore;
  containers: ContainerManager;
  executor: EngineExecutor;
  close(): Promise<void>;
}

export async function startTestEngine(prefix: string): Promise<TestEngine> {
  const base = mkdtempSync(join(tmpdir(), `flotilla-${prefix}-`));
  const paths = dataPaths(join(base, 'data'), join(base, 'run'));
  const images = await ImageStore.open(paths.images);
  await importRootfs(images, createReadStream(makeBusyboxRootfsTar(base).tar), { tag: 'busybox:latest' });
  const volumes = new VolumeStore(paths.volumes);
  await volumes.init();
  const containers = new ContainerManager({ paths, images, volumes });
  await containers.init();
  const executor = new EngineExecutor({
    containers,
    images,
    serviceName: () => 'lab_web',
    network: async () => ({ name: 'none', aliases: [] }),
    engineVersion: 'test',
  });
  return {
    paths,
    images,
    containers,
    executor,
    async close() {
      for (const c of containers.list({ all: true })) await containers.remove(c.Id, { force: true });
      await containers.shutdown();
      await cleanupDaemonCgroups(paths);
      rmSync(base, { recursive: true, force: true });
    },
  };
}

let n = 0;
/** An ASSIGNED task of service svc1 on node1, with a unique 25-char ID and slot. */
export function testTask(prefix: string, spec: Task['Spec']): Task {
  n++;
  return {
    ID: `${prefix}${n}abcdefghijklmnopqrstuvwxy`.slice(0, 25),
    Version: { Index: 1 },
    CreatedAt: '',
    UpdatedAt: '',
    ServiceID: 'svc1',
    Slot: n,
    NodeID: 'node1',
    Spec: spec,
    SpecVersion: { Index: 1 },
    Status: { Timestamp: '', State: TaskState.ASSIGNED, Message: '' },
    DesiredState: TaskState.RUNNING,
  };
}

/** Drives a task with the agent's TaskRunner; `reached(state)` waits until it reports that state. */
export function runTask(executor: EngineExecutor, t: Task, timeoutMs = 15_000) {
  const states: TaskStatus[] = [];
  const runner = new TaskRunner(t, executor.controller(t), (_id, s) => states.push(s));
  runner.drive();
  const reached = async (s: TaskState) => {
    const deadline = Date.now() + timeoutMs;
    while (!states.some((x) => x.State === s) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    const hit = states.find((x) => x.State === s);
    if (!hit) throw new Error(`never reached ${TaskState[s]}: ${JSON.stringify(states)}`);
    return hit;
  };
  return { runner, states, reached };
}
