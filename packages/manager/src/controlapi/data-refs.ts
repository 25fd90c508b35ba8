// A service's uses of secrets and configs inside a store transaction: every reference must name an
// existing object (swarmkit's check) and gets its data version pinned; a data change re-pins the
// services that use the object; past data versions nothing pins any more are pruned.
import { dataAtVersion, dataUses, prunePastData, versionsInUse, type DataTable } from '../store/data-versions';
import type { ConfigObject, SecretObject } from '../store/tables';
import type { Service, Task } from '../store/types';
import type { ConfigReference, SecretReference, ServiceSpec, TaskSpec } from '../types';
import { DataVersionGoneError, ReferencedObjectNotFoundError, type DataKind } from './errors';
import type { Reader } from './services';

type DataObject = SecretObject | ConfigObject;
type AnyRef = SecretReference | ConfigReference;

export const KIND_OF: Record<DataTable, DataKind> = { secrets: 'secret', configs: 'config' };

const refId = (r: AnyRef): string => ('SecretID' in r ? r.SecretID : r.ConfigID);
const refName = (r: AnyRef): string => ('SecretID' in r ? r.SecretName : r.ConfigName);

function refsOf(spec: TaskSpec, table: DataTable): AnyRef[] | undefined {
  return table === 'secrets' ? spec.ContainerSpec.Secrets : spec.ContainerSpec.Configs;
}

function withRefs(spec: ServiceSpec, table: DataTable, refs: AnyRef[]): ServiceSpec {
  const key = table === 'secrets' ? 'Secrets' : 'Configs';
  return {
    ...spec,
    TaskTemplate: { ...spec.TaskTemplate, ContainerSpec: { ...spec.TaskTemplate.ContainerSpec, [key]: refs } },
  };
}

/**
 * Checks that every secret and config `spec` uses exists under the name it gives (else swarmkit's
 * "secret not found: X"), and pins each reference's DataVersion. A reference without one keeps
 * the version `current` (the service's stored spec) pins for that object while it is still kept
 * (a docker CLI read-modify-write drops the field: it must not roll the service), else the
 * object's current version. A version given explicitly must still be kept.
 */
export function resolveDataRefs(tx: Reader, spec: ServiceSpec, current?: ServiceSpec): ServiceSpec {
  let out = spec;
  for (const table of ['secrets', 'configs'] as const) {
    const refs = refsOf(spec.TaskTemplate, table);
    if (!refs?.length) continue;
    const kind = KIND_OF[table];
    const missing: string[] = [];
    const objects = refs.map((r) => {
      const o = tx.get(table, refId(r)) as DataObject | undefined;
      if (!o || o.Spec.Name !== refName(r)) missing.push(refName(r));
      return o;
    });
    if (missing.length) throw new ReferencedObjectNotFoundError(kind, missing);
    const before = dataUses(current?.TaskTemplate, table);
    const pinned = refs.map((r, i) => {
      const o = objects[i]!;
      let v = r.DataVersion;
      if (v === undefined) {
        const prior = before.find((u) => u.id === o.ID)?.version;
        v = prior !== undefined && dataAtVersion(o, prior) !== undefined ? prior : o.DataVersion;
      } else if (v > o.DataVersion || dataAtVersion(o, v) === undefined) {
        throw new DataVersionGoneError(kind, o.Spec.Name, v, o.DataVersion);
      }
      return r.DataVersion === v ? r : { ...r, DataVersion: v };
    });
    out = withRefs(out, table, pinned);
  }
  return out;
}

/** `spec` with every use of object `id` pinned to `version`; the same spec when it does not use it. */
export function repinSpec(spec: ServiceSpec, table: DataTable, id: string, version: number): ServiceSpec {
  const refs = refsOf(spec.TaskTemplate, table);
  if (!refs?.some((r) => refId(r) === id && r.DataVersion !== version)) return spec;
  return withRefs(
    spec,
    table,
    refs.map((r) => (refId(r) === id ? { ...r, DataVersion: version } : r)),
  );
}

/** The names of the services whose current spec uses object `id` (what blocks its removal). */
export function servicesUsing(services: Service[], table: DataTable, id: string): string[] {
  return services.filter((s) => dataUses(s.Spec.TaskTemplate, table).some((u) => u.id === id)).map((s) => s.Spec.Name);
}

/**
 * Within a transaction that leaves the store with `services` and `tasks`, drops the past data
 * versions of the objects `specs` used that nothing pins any more.
 */
export function prunePastVersions(
  tx: Reader & { update(table: DataTable, object: DataObject): void },
  specs: (ServiceSpec | undefined)[],
  services: Service[],
  tasks: Task[],
): void {
  for (const table of ['secrets', 'configs'] as const) {
    const ids = new Set(specs.flatMap((s) => dataUses(s?.TaskTemplate, table).map((u) => u.id)));
    for (const id of ids) {
      const o = tx.get(table, id) as DataObject | undefined;
      if (!o?.PastData) continue;
      const next = prunePastData(o, versionsInUse(table, id, services, tasks));
      if (next !== o) tx.update(table, next);
    }
  }
}
