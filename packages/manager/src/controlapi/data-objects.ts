// Secrets and configs in the control API (one implementation, two kinds): create, list, inspect,
// remove as swarmkit's controlapi, and flotilla's in-place data update that re-pins and rolls
// every service using the object in the same transaction. What a view shows is the kind's choice.
import { timingSafeEqual } from 'node:crypto';
import { prunePastData, versionsInUse, withNewData, type DataTable } from '../store/data-versions';
import type { StoreState } from '../store/state';
import { newId, type Store, type TxBuilder } from '../store/store';
import type { ConfigObject, SecretObject } from '../store/tables';
import type { Service } from '../store/types';
import { stableJson } from '../orchestrator/spec-match';
import {
  DataObjectAmbiguousError,
  DataObjectExistsError,
  DataObjectInUseError,
  DataObjectNotFoundError,
  InvalidSpecError,
  type DataKind,
} from './errors';
import { labelsMatch, type ListFilters } from './filters';
import { KIND_OF, repinSpec, servicesUsing } from './data-refs';
import { checkData, checkDataName, checkTemplating, decodeData, parseDataSpec, type DataSpecBody } from './data-rules';
import type { Reader } from './services';

export type DataObject = SecretObject | ConfigObject;

/** docker's list filters for secrets and configs; any other key is refused (docker's text). */
const FILTERS = new Set(['id', 'name', 'names', 'label']);

/** Finds a secret or config by full ID, exact name, then unique ID prefix, like dockerd. */
export function findDataObject(tx: Reader, table: DataTable, ref: string): DataObject {
  const kind = KIND_OF[table];
  const byId = tx.get(table, ref) as DataObject | undefined;
  if (byId) return byId;
  const all = tx.list(table) as DataObject[];
  const byName = all.find((o) => o.Spec.Name === ref);
  if (byName) return byName;
  const byPrefix = ref ? all.filter((o) => o.ID.startsWith(ref)) : [];
  if (byPrefix.length > 1) throw new DataObjectAmbiguousError(kind, ref, byPrefix.length);
  if (byPrefix.length === 1) return byPrefix[0]!;
  throw new DataObjectNotFoundError(kind, ref);
}

/** swarmkit's list: any of names (exact), name (prefix), id (prefix) if given; every label. */
export function dataObjectMatches(o: DataObject, f: ListFilters | undefined): boolean {
  if (!f) return true;
  const names = f.names ?? [];
  const prefixes = f.name ?? [];
  const ids = f.id ?? [];
  const anyBy = names.length + prefixes.length + ids.length > 0;
  const by =
    names.includes(o.Spec.Name) ||
    prefixes.some((p) => o.Spec.Name.startsWith(p)) ||
    ids.some((p) => o.ID.startsWith(p));
  return (!anyBy || by) && (!f.label?.length || labelsMatch(o.Spec.Labels, f.label));
}

const sameBytes = (a: Buffer, b: Buffer): boolean => a.length === b.length && timingSafeEqual(a, b);

const reader = (s: StoreState): Reader => ({ get: (t, id) => s.get(t, id), list: (t) => s.list(t) });

/** The control API of one kind (secrets or configs); `view` decides what a client may see of an object. */
export class DataObjectApi<V> {
  protected readonly kind: DataKind;

  constructor(
    protected readonly store: Store,
    protected readonly table: DataTable,
    protected readonly view: (o: DataObject) => V,
    protected readonly now: () => number = Date.now,
  ) {
    this.kind = KIND_OF[table];
  }

  /** The kind's own checks of a spec body (a secret's driver); configs have none. */
  protected checkKind(_body: DataSpecBody): void {}

  /** `POST /secrets/create`: the body as sent (docker's SecretSpec/ConfigSpec). */
  async create(body: unknown): Promise<{ ID: string }> {
    const spec = parseDataSpec(body);
    const name = checkDataName(spec.Name);
    this.checkKind(spec);
    checkTemplating(spec.Templating);
    const bytes = decodeData(spec.Data ?? '');
    checkData(this.kind, bytes, spec.Templating);
    const id = newId();
    const at = new Date(this.now()).toISOString();
    await this.store.update((tx) => {
      if (tx.findByName(this.table, name)) throw new DataObjectExistsError(this.kind, name);
      const object: DataObject = {
        ID: id,
        Version: { Index: 0 },
        CreatedAt: at,
        UpdatedAt: at,
        Spec: {
          Name: name,
          ...(spec.Labels ? { Labels: spec.Labels } : {}),
          Data: bytes.toString('base64'),
          ...(spec.Templating ? { Templating: stripNull(spec.Templating) } : {}),
        },
        DataVersion: 1,
      };
      tx.create(this.table, object as SecretObject);
    });
    return { ID: id };
  }

  /**
   * `POST /secrets/{id}/update?version=N`. docker allows a change of Labels only; flotilla also
   * takes new Data: a new data version, and every service using the object is re-pinned to it
   * and rolls through its UpdateConfig (PreviousSpec pins the old version: a rollback restores
   * it). Data left out (or the same bytes) changes the labels only. Returns the rolled services.
   */
  async update(ref: string, version: number, body: unknown): Promise<{ Rolled: string[] }> {
    const spec = parseDataSpec(body);
    this.checkKind(spec);
    return this.store.update((tx) => {
      const current = findDataObject(tx, this.table, ref);
      const what = `${this.kind} ${current.Spec.Name}`;
      if (spec.Name !== current.Spec.Name)
        throw new InvalidSpecError(
          `only updates to Labels are allowed (and, in flotilla, to Data): ${what} cannot be renamed; create a new ${this.kind}`,
        );
      if (stableJson(stripNull(spec.Templating)) !== stableJson(current.Spec.Templating))
        throw new InvalidSpecError(
          `the template driver of ${what} cannot change: send its Templating as inspect shows it, or create a new ${this.kind}`,
        );
      let next: DataObject = { ...current, Spec: { ...current.Spec } };
      if (spec.Labels) next.Spec.Labels = spec.Labels;
      else delete next.Spec.Labels;
      let rolled: string[] = [];
      if (spec.Data !== null && spec.Data !== undefined) {
        const bytes = decodeData(spec.Data);
        if (!sameBytes(bytes, Buffer.from(current.Spec.Data ?? '', 'base64'))) {
          checkData(this.kind, bytes, current.Spec.Templating);
          ({ object: next, rolled } = this.roll(tx, withNewData(next, bytes.toString('base64'))));
        }
      }
      tx.update(this.table, next as SecretObject, version);
      return { Rolled: rolled };
    });
  }

  /** Re-pins every service using `obj` to its new data version (an update) and prunes PastData. */
  private roll(tx: TxBuilder, obj: DataObject): { object: DataObject; rolled: string[] } {
    const at = new Date(this.now()).toISOString();
    const rolled: string[] = [];
    const services = tx.list('services').map((s): Service => {
      const spec = repinSpec(s.Spec, this.table, obj.ID, obj.DataVersion);
      if (spec === s.Spec) return s;
      rolled.push(s.Spec.Name);
      const updated: Service = {
        ...s,
        Spec: spec,
        PreviousSpec: s.Spec,
        UpdateStatus: {
          State: 'updating',
          StartedAt: at,
          Message: `update in progress: ${this.kind} ${obj.Spec.Name} changed`,
        },
      };
      tx.update('services', updated);
      return updated;
    });
    const keep = versionsInUse(this.table, obj.ID, services, tx.list('tasks'));
    return { object: prunePastData(obj, keep), rolled };
  }

  /** `DELETE /secrets/{id}`: refused while a service's spec uses it (swarmkit's text). */
  async remove(ref: string): Promise<void> {
    await this.store.update((tx) => {
      const o = findDataObject(tx, this.table, ref);
      const users = servicesUsing(tx.list('services'), this.table, o.ID);
      if (users.length) throw new DataObjectInUseError(this.kind, o.Spec.Name, users);
      tx.delete(this.table, o.ID);
    });
  }

  inspect(ref: string): V {
    return this.store.view((s) => this.view(findDataObject(reader(s), this.table, ref)));
  }

  list(filters?: ListFilters): V[] {
    for (const k of Object.keys(filters ?? {}))
      if (!FILTERS.has(k)) throw new InvalidSpecError(`invalid filter '${k}'`);
    return this.store.view((s) =>
      (s.list(this.table) as DataObject[]).filter((o) => dataObjectMatches(o, filters)).map(this.view),
    );
  }
}

/** A Driver as stored: Options only when some are given (Go clients send null or {}). */
function stripNull(d: DataSpecBody['Templating']): { Name: string; Options?: Record<string, string> } | undefined {
  if (!d) return undefined;
  return d.Options && Object.keys(d.Options).length ? { Name: d.Name, Options: d.Options } : { Name: d.Name };
}
