// Task logs across nodes (issue 5): `service logs` on node B merges its own task's lines with
// those of a task on node A, read through A's Peer.TaskLogs over mutual TLS; follow streams, an
// unreachable node is skipped with a warning on stderr.
import { RootCA, TaskState, type NodeTls } from '@flotilla/manager';
import {
  PeerClient,
  serviceLogLines,
  type LogTask,
  type ServiceLogLine,
  type ServiceLogsSources,
} from '@flotilla/worker';
import { runTask, startTestEngine, testTask, type TestEngine } from './engine-fixture';
import { clientCredentials, nodeTls, startPeerServer } from './peer-fixture';

jest.setTimeout(60_000);

const CLUSTER = 'logs-cluster';

describe('task logs from other nodes', () => {
  let a: TestEngine;
  let b: TestEngine;
  let bTls: NodeTls;
  let peerA: Awaited<ReturnType<typeof startPeerServer>>;
  let taskA: LogTask;
  let taskB: LogTask;
  let sources: ServiceLogsSources;

  beforeAll(async () => {
    const ca = await RootCA.create();
    const [aTls, bt] = await Promise.all([nodeTls(ca, 'nodeA', CLUSTER), nodeTls(ca, 'nodeB', CLUSTER)]);
    bTls = bt;
    [a, b] = await Promise.all([startTestEngine('logsA'), startTestEngine('logsB')]);
    peerA = await startPeerServer(aTls, { images: a.images, containers: a.containers, clusterId: CLUSTER });
    // A's task prints a line every 300 ms, so a follower sees them arrive one by one.
    const tA = testTask('logs', {
      ContainerSpec: {
        Image: 'busybox:latest',
        Command: ['sh', '-c', 'for i in 1 2 3 4 5; do echo a-line $i; sleep 0.3; done; exec sleep 60'],
      },
    });
    const tB = testTask('logs', {
      ContainerSpec: { Image: 'busybox:latest', Command: ['sh', '-c', 'echo b-line; echo b-err >&2; exec sleep 60'] },
    });
    const runA = runTask(a.executor, tA);
    const runB = runTask(b.executor, tB);
    const [sA, sB] = await Promise.all([runA.reached(TaskState.RUNNING), runB.reached(TaskState.RUNNING)]);
    taskA = {
      taskId: tA.ID,
      nodeId: 'nodeA',
      nodeName: 'node-a',
      containerId: sA.ContainerStatus!.ContainerID!,
      prefix: `web.1.${tA.ID.slice(0, 12)}@node-a    | `,
    };
    taskB = {
      taskId: tB.ID,
      nodeId: 'nodeB',
      nodeName: 'node-b',
      containerId: sB.ContainerStatus!.ContainerID!,
      prefix: `web.2.${tB.ID.slice(0, 12)}@node-b    | `,
    };
    sources = {
      localNodeId: 'nodeB',
      local: (id, o) => b.containers.logs(id, o),
      nodeAddr: (n) => (n === 'nodeA' ? peerA.addr : n === 'nodeC' ? '127.0.0.1:1' : undefined),
      credentials: clientCredentials(bTls),
    };
  });

  afterAll(async () => {
    await peerA?.close();
    await Promise.all([a?.close(), b?.close()]);
  });

  test('follow: lines of the remote task arrive as they are written, merged with the local task', async () => {
    const stop = new AbortController();
    const got: (ServiceLogLine & { at: number })[] = [];
    const t0 = Date.now();
    for await (const l of serviceLogLines(
      [taskA, taskB],
      { follow: true, timestamps: true, signal: stop.signal },
      sources,
    )) {
      got.push({ ...l, at: Date.now() });
      if (l.line.includes('a-line 5')) stop.abort();
    }
    expect(Date.now() - t0).toBeLessThan(10_000);
    const aLines = got.filter((l) => l.line.startsWith(taskA.prefix));
    expect(aLines.map((l) => l.line.replace(/^.*\| \S+ /, ''))).toEqual([1, 2, 3, 4, 5].map((i) => `a-line ${i}\n`));
    expect(aLines.every((l) => /\| \d{4}-\d\d-\d\dT[\d:.]+Z a-line/.test(l.line))).toBe(true);
    // streamed, not one snapshot at the end: the first line was here before the last was written
    const lastWritten = Date.parse(/\| (\S+) a-line/.exec(aLines[4]?.line ?? '')?.[1] ?? '');
    expect(aLines[0]?.at).toBeLessThan(lastWritten);
    expect(got.find((l) => l.line.startsWith(`${taskB.prefix}`) && l.line.endsWith(' b-line\n'))?.stream).toBe(
      'stdout',
    );
    expect(got.find((l) => l.line.endsWith(' b-err\n'))?.stream).toBe('stderr');
  });

  test('follow waits for tasks that get a container later and follows them, as docker does', async () => {
    const stop = new AbortController();
    let revealed = false;
    const got: string[] = [];
    const t0 = Date.now();
    setTimeout(() => (revealed = true), 700);
    // No task has a container yet: without the task source the stream would end at once.
    for await (const l of serviceLogLines(
      [],
      { follow: true, signal: stop.signal },
      {
        ...sources,
        tasks: () => (revealed ? [taskA] : []),
      },
    )) {
      got.push(l.line);
      if (l.line.includes('a-line 5')) stop.abort();
    }
    expect(Date.now() - t0).toBeGreaterThanOrEqual(700);
    expect(got.filter((l) => l.startsWith(taskA.prefix)).map((l) => l.slice(taskA.prefix.length))).toEqual(
      [1, 2, 3, 4, 5].map((i) => `a-line ${i}\n`),
    );
  });

  test('without follow the stream ends; tail applies per task; an unreachable node is a warning on stderr', async () => {
    const taskC: LogTask = {
      taskId: 'c'.repeat(25),
      nodeId: 'nodeC',
      nodeName: 'node-c',
      containerId: 'f'.repeat(64),
      prefix: 'web.3.cccccccccccc@node-c    | ',
    };
    // A's task without its container ID: A finds the container by the task label
    const got: ServiceLogLine[] = [];
    for await (const l of serviceLogLines([{ ...taskA, containerId: undefined }, taskB, taskC], { tail: 2 }, sources))
      got.push(l);
    expect(got.filter((l) => l.line.startsWith(taskA.prefix)).map((l) => l.line)).toEqual([
      `${taskA.prefix}a-line 4\n`,
      `${taskA.prefix}a-line 5\n`,
    ]);
    expect(
      got
        .filter((l) => l.line.startsWith(taskB.prefix))
        .map((l) => l.line)
        .sort(),
    ).toEqual([`${taskB.prefix}b-err\n`, `${taskB.prefix}b-line\n`]);
    const warnings = got.filter((l) => l.line.startsWith('error from daemon in stream'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.stream).toBe('stderr');
    expect(warnings[0]?.line).toMatch(
      /^error from daemon in stream: Error grabbing logs: node node-c is not available, its tasks' logs are skipped \(.+\)\n$/,
    );
  });

  test('TaskLogs honours since', async () => {
    const c = new PeerClient(peerA.addr, clientCredentials(bTls));
    try {
      const all: { line: string; time: string }[] = [];
      for await (const l of c.taskLogs({ taskId: taskA.taskId, containerId: '', follow: false, tail: -1, since: 0 }))
        all.push(l);
      expect(all.map((l) => l.line)).toEqual([1, 2, 3, 4, 5].map((i) => `a-line ${i}\n`));
      const since = Date.parse(all[2]?.time ?? '') / 1000 - 0.001;
      const later: string[] = [];
      for await (const l of c.taskLogs({ taskId: taskA.taskId, containerId: '', follow: false, tail: -1, since }))
        later.push(l.line);
      expect(later).toEqual(['a-line 3\n', 'a-line 4\n', 'a-line 5\n']);
    } finally {
      c.close();
    }
  });
});
