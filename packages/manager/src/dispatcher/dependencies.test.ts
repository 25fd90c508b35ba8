import { localStore, makeTask } from '../testing/fixtures';
import { TaskState, type Task } from '../store/types';
import type { SecretObject } from '../store/tables';
import { dependencyDelta, needsDependencies, neededDependencies, taskDependencies } from './dependencies';
import { NodeAssignments, type AssignmentChangeMessage } from './node-assignments';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const file = (Name: string) => ({ Name, UID: '0', GID: '0', Mode: 0o444 });

function usesSecret(id: string, node: string, version: number | undefined, state = TaskState.ASSIGNED): Task {
  return makeTask(id, 'svc', {
    node,
    state,
    spec: {
      ContainerSpec: {
        Image: 'app',
        Secrets: [{ SecretID: 'sec1', SecretName: 'pw', File: file('pw'), DataVersion: version }],
        Configs: [{ ConfigID: 'cfg1', ConfigName: 'app.conf', File: file('/etc/app.conf'), DataVersion: 1 }],
      },
    },
  });
}

const secret = (version: number, data: string, past: Record<string, string> = {}): SecretObject => ({
  ID: 'sec1',
  Version: { Index: 1 },
  CreatedAt: '',
  UpdatedAt: '',
  Spec: { Name: 'pw', Data: b64(data) },
  DataVersion: version,
  PastData: past,
});

/** "UPDATE SECRET sec1@2" / "REMOVE TASK t1": a message as a list of lines, in order. */
function show(changes: AssignmentChangeMessage[]): string[] {
  return changes.map((c) => {
    if (c.kind === 'TASK') return `${c.action} TASK ${(JSON.parse(c.taskJson!.toString()) as { ID: string }).ID}`;
    const d = JSON.parse(c.dependencyJson!.toString()) as { ID: string; DataVersion: number; Data?: string };
    const data = d.Data === undefined ? '' : ` ${Buffer.from(d.Data, 'base64').toString()}`;
    return `${c.action} ${c.kind} ${d.ID}@${d.DataVersion}${data}`;
  });
}

describe('which secrets and configs a node needs', () => {
  it('takes the pinned version of each reference, and the current one for an unpinned reference', () => {
    const refs = taskDependencies(usesSecret('t1', 'n1', undefined), (kind) => (kind === 'secret' ? 7 : undefined));
    expect(refs).toEqual([
      { kind: 'secret', id: 'sec1', version: 7 },
      { kind: 'config', id: 'cfg1', version: 1 },
    ]);
    // An unpinned reference to an object that is gone: nothing to send.
    expect(taskDependencies(usesSecret('t1', 'n1', undefined), () => undefined)).toHaveLength(1);
  });

  it('a task of the node needs them from ASSIGNED to RUNNING, not once it stopped or on another node', () => {
    expect(needsDependencies(usesSecret('t', 'n1', 1, TaskState.ASSIGNED), 'n1')).toBe(true);
    expect(needsDependencies(usesSecret('t', 'n1', 1, TaskState.RUNNING), 'n1')).toBe(true);
    expect(needsDependencies(usesSecret('t', 'n1', 1, TaskState.PENDING), 'n1')).toBe(false);
    expect(needsDependencies(usesSecret('t', 'n1', 1, TaskState.FAILED), 'n1')).toBe(false);
    expect(needsDependencies(usesSecret('t', 'n2', 1, TaskState.RUNNING), 'n1')).toBe(false);
  });

  it('keeps two versions of one secret apart and sends only the difference', () => {
    const refs = (v: number) => [{ kind: 'secret' as const, id: 'sec1', version: v }];
    const sent = neededDependencies(new Map([['t1', refs(1)]]));
    const needed = neededDependencies(
      new Map([
        ['t1', refs(1)],
        ['t2', refs(2)],
      ]),
    );
    expect(needed.size).toBe(2);
    expect(dependencyDelta(sent, needed)).toEqual({ add: refs(2), remove: [] });
    expect(dependencyDelta(needed, neededDependencies(new Map([['t2', refs(2)]])))).toEqual({
      add: [],
      remove: refs(1),
    });
  });
});

describe("a node's assignment messages", () => {
  async function setup() {
    const store = localStore();
    await store.update((tx) => {
      tx.create('secrets', secret(2, 'new', { '1': b64('old') }));
      tx.create('configs', {
        ID: 'cfg1',
        Version: { Index: 1 },
        CreatedAt: '',
        UpdatedAt: '',
        Spec: { Name: 'app.conf', Data: b64('x=1'), Templating: { Name: 'golang' } },
        DataVersion: 1,
      });
    });
    return { store, held: new NodeAssignments('n1', store) };
  }

  it('COMPLETE sends each dependency once, at its version, before the tasks', async () => {
    const { held } = await setup();
    const msg = held.complete([usesSecret('t1', 'n1', 1), usesSecret('t2', 'n1', 1), usesSecret('t3', 'n1', 2)]);
    expect(show(msg)).toEqual([
      'UPDATE SECRET sec1@1 old',
      'UPDATE CONFIG cfg1@1 x=1',
      'UPDATE SECRET sec1@2 new',
      'UPDATE TASK t1',
      'UPDATE TASK t2',
      'UPDATE TASK t3',
    ]);
    const cfg = JSON.parse(msg[1]!.dependencyJson!.toString()) as { Name: string; Templating?: { Name: string } };
    expect(cfg).toMatchObject({ Name: 'app.conf', Templating: { Name: 'golang' } });
  });

  it('INCREMENTAL adds a dependency with the first task and removes it after the last one stopped', async () => {
    const { held } = await setup();
    expect(show(held.complete([]))).toEqual([]);
    expect(show(held.incremental({ update: [usesSecret('t1', 'n1', 1)], remove: [] }))).toEqual([
      'UPDATE SECRET sec1@1 old',
      'UPDATE CONFIG cfg1@1 x=1',
      'UPDATE TASK t1',
    ]);
    // A second task of the same version: nothing new to send. A roll to version 2 beside it.
    expect(show(held.incremental({ update: [usesSecret('t2', 'n1', 1)], remove: [] }))).toEqual(['UPDATE TASK t2']);
    expect(show(held.incremental({ update: [usesSecret('t3', 'n1', 2)], remove: [] }))).toEqual([
      'UPDATE SECRET sec1@2 new',
      'UPDATE TASK t3',
    ]);
    // t1 stopped (its record stays): version 1 is still needed by t2.
    expect(show(held.incremental({ update: [usesSecret('t1', 'n1', 1, TaskState.SHUTDOWN)], remove: [] }))).toEqual([
      'UPDATE TASK t1',
    ]);
    // t2 removed: version 1 goes, after the task.
    expect(show(held.incremental({ update: [], remove: ['t2'] }))).toEqual(['REMOVE TASK t2', 'REMOVE SECRET sec1@1']);
    // t3 failed: nothing on the node needs anything any more.
    expect(show(held.incremental({ update: [usesSecret('t3', 'n1', 2, TaskState.FAILED)], remove: [] }))).toEqual([
      'UPDATE TASK t3',
      'REMOVE CONFIG cfg1@1',
      'REMOVE SECRET sec1@2',
    ]);
  });

  it('sends nothing for a version that is gone or a deleted secret (the worker rejects the task)', async () => {
    const { store, held } = await setup();
    expect(show(held.complete([usesSecret('t1', 'n1', 9)]))).toEqual(['UPDATE CONFIG cfg1@1 x=1', 'UPDATE TASK t1']);
    await store.update((tx) => tx.delete('secrets', 'sec1'));
    expect(show(held.incremental({ update: [usesSecret('t2', 'n1', 2)], remove: [] }))).toEqual(['UPDATE TASK t2']);
  });
});
