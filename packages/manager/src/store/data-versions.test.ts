import { makeTask } from '../testing/fixtures';
import type { ServiceSpec, TaskSpec } from '../types';
import { dataAtVersion, dataUses, prunePastData, versionsInUse, withNewData } from './data-versions';
import type { SecretObject } from './tables';
import { TaskState, type Service } from './types';

const b64 = (s: string) => Buffer.from(s).toString('base64');

const secret: SecretObject = {
  ID: 's1',
  Version: { Index: 9 },
  CreatedAt: '',
  UpdatedAt: '',
  Spec: { Name: 'pw', Data: b64('new') },
  DataVersion: 3,
  PastData: { '2': b64('old') },
};

const usesPw = (version: number | undefined): TaskSpec => ({
  ContainerSpec: {
    Image: 'app',
    Secrets: [{ SecretID: 's1', SecretName: 'pw', DataVersion: version }],
    Configs: [{ ConfigID: 'c1', ConfigName: 'conf', DataVersion: 7 }],
  },
});

const spec = (v: number | undefined): ServiceSpec => ({
  Name: 'web',
  TaskTemplate: usesPw(v),
  Mode: { Replicated: { Replicas: 1 } },
});

const service = (current: number, previous?: number): Service => ({
  ID: 'svc',
  Version: { Index: 5 },
  CreatedAt: '',
  UpdatedAt: '',
  Spec: spec(current),
  ...(previous !== undefined ? { PreviousSpec: spec(previous) } : {}),
});

describe('data versions of secrets and configs', () => {
  it('gives the current data for the current version or none given', () => {
    expect(dataAtVersion(secret, 3)).toBe(secret.Spec.Data);
    expect(dataAtVersion(secret, undefined)).toBe(secret.Spec.Data);
  });
  it('gives a past version that is kept, and undefined for one that is gone', () => {
    expect(Buffer.from(dataAtVersion(secret, 2)!, 'base64').toString()).toBe('old');
    expect(dataAtVersion(secret, 1)).toBeUndefined();
  });

  it('lists the uses of one kind in a task spec', () => {
    expect(dataUses(usesPw(2), 'secrets')).toEqual([{ id: 's1', version: 2 }]);
    expect(dataUses(usesPw(2), 'configs')).toEqual([{ id: 'c1', version: 7 }]);
    expect(dataUses({ ContainerSpec: { Image: 'x' } }, 'secrets')).toEqual([]);
  });

  it('a new data version moves the old data into PastData under its version', () => {
    const next = withNewData(secret, b64('newer'));
    expect(next.DataVersion).toBe(4);
    expect(dataAtVersion(next, 4)).toBe(b64('newer'));
    expect(dataAtVersion(next, 3)).toBe(b64('new'));
    expect(dataAtVersion(next, 2)).toBe(b64('old'));
    expect(secret.DataVersion).toBe(3); // the stored object is not touched
  });
});

describe('pruning past data versions', () => {
  it("keeps the versions a service's Spec or PreviousSpec pins", () => {
    expect([...versionsInUse('secrets', 's1', [service(3, 2)], [])].sort()).toEqual([2, 3]);
    expect([...versionsInUse('configs', 'c1', [service(3, 2)], [])]).toEqual([7]);
    expect(versionsInUse('secrets', 'other', [service(3, 2)], []).size).toBe(0);
  });

  it('keeps the versions of tasks not yet told to go, but not of tasks marked for removal', () => {
    const live = makeTask('t1', 'svc', { spec: usesPw(1), desired: TaskState.SHUTDOWN });
    const gone = makeTask('t2', 'svc', { spec: usesPw(0), desired: TaskState.REMOVE });
    expect([...versionsInUse('secrets', 's1', [], [live, gone])]).toEqual([1]);
  });

  it('drops what nothing pins, and leaves an object alone when everything is kept', () => {
    const many = { ...secret, PastData: { '1': b64('a'), '2': b64('b') } };
    const pruned = prunePastData(many, new Set([2, 3]));
    expect(pruned.PastData).toEqual({ '2': b64('b') });
    expect(prunePastData(pruned, new Set([2]))).toBe(pruned);
    expect(prunePastData(many, new Set([3])).PastData).toBeUndefined();
    expect(prunePastData({ ...secret, PastData: undefined }, new Set())).toEqual({ ...secret, PastData: undefined });
  });
});
