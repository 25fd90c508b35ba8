// Versions of a secret's or config's data (pure). The current data is Spec.Data at DataVersion;
// PastData keeps older ones that a service spec, previous spec or live task still references.
import type { TaskSpec } from '../types';
import type { ConfigObject, SecretObject } from './tables';
import { TaskState, type Service, type Task } from './types';

/** The two tables whose objects carry versioned data. */
export type DataTable = 'secrets' | 'configs';

/** One use of a secret or config in a task spec: the object's ID and the pinned data version. */
export interface DataUse {
  id: string;
  version: number | undefined;
}

/** The data (base64) of `obj` at `version`, or undefined when that version is gone. */
export function dataAtVersion(obj: SecretObject | ConfigObject, version: number | undefined): string | undefined {
  if (version === undefined || version === obj.DataVersion) return obj.Spec.Data ?? '';
  return obj.PastData?.[String(version)];
}

/** The secrets (or configs) a task spec uses, with their pinned versions. */
export function dataUses(spec: TaskSpec | undefined, table: DataTable): DataUse[] {
  const c = spec?.ContainerSpec;
  if (table === 'secrets') return (c?.Secrets ?? []).map((r) => ({ id: r.SecretID, version: r.DataVersion }));
  return (c?.Configs ?? []).map((r) => ({ id: r.ConfigID, version: r.DataVersion }));
}

/**
 * The data versions of object `id` still needed: pinned by a service's Spec or PreviousSpec (a
 * rollback returns to it) or by a task not yet told to go (DesiredState below REMOVE).
 */
export function versionsInUse(table: DataTable, id: string, services: Service[], tasks: Task[]): Set<number> {
  const keep = new Set<number>();
  const add = (spec: TaskSpec | undefined) => {
    for (const u of dataUses(spec, table)) if (u.id === id && u.version !== undefined) keep.add(u.version);
  };
  for (const s of services) {
    add(s.Spec.TaskTemplate);
    add(s.PreviousSpec?.TaskTemplate);
  }
  for (const t of tasks) if (t.DesiredState < TaskState.REMOVE) add(t.Spec);
  return keep;
}

/** `obj` with PastData cut to the versions in `keep`; the same object when nothing goes. */
export function prunePastData<T extends SecretObject | ConfigObject>(obj: T, keep: Set<number>): T {
  const past = obj.PastData;
  if (!past) return obj;
  const kept = Object.entries(past).filter(([v]) => keep.has(Number(v)));
  if (kept.length === Object.keys(past).length) return obj;
  if (kept.length) return { ...obj, PastData: Object.fromEntries(kept) };
  const { PastData: _gone, ...rest } = obj;
  return rest as T;
}

/**
 * A new current data for `obj`: DataVersion + 1, the old data kept in PastData under its version
 * (prune afterwards: it stays only while something pins it).
 */
export function withNewData<T extends SecretObject | ConfigObject>(obj: T, data: string): T {
  return {
    ...obj,
    Spec: { ...obj.Spec, Data: data },
    DataVersion: obj.DataVersion + 1,
    PastData: { ...obj.PastData, [String(obj.DataVersion)]: obj.Spec.Data ?? '' },
  };
}
