// Services in the control API: create, update (rolling or not), remove, inspect, list.
import { specChangeNeedsUpdate } from '../orchestrator/reconcile';
import { VersionConflictError } from '../store/errors';
import type { StoreState } from '../store/state';
import { newId, type Store, type TxBuilder } from '../store/store';
import { TaskState, type Node, type Service, type Task } from '../store/types';
import type { ServiceSpec } from '../types';
import { ServiceNotFoundError, InvalidSpecError } from './errors';
import { labelsMatch, matchFilters, type ListFilters } from './filters';
import { resolvePorts } from './ports';
import { prunePastVersions, resolveDataRefs } from './data-refs';
import { normalizeServiceSpec, parseServiceSpec, validateServiceSpec } from './validate';

/** What a store read needs to find objects: a transaction or the state itself. */
export type Reader = Pick<TxBuilder, 'get' | 'list'>;

/** Finds a service by full ID, unique ID prefix or name, like dockerd. */
export function findService(tx: Reader, ref: string): Service {
  const byId = tx.get('services', ref);
  if (byId) return byId;
  const all = tx.list('services');
  const byName = all.find((s) => s.Spec.Name === ref);
  if (byName) return byName;
  const byPrefix = all.filter((s) => s.ID.startsWith(ref));
  const [only] = byPrefix;
  if (only && byPrefix.length === 1) return only;
  throw new ServiceNotFoundError(ref);
}

/** Docker's ServiceStatus (`service ls`'s REPLICAS column), counted from the tasks. */
export interface ServiceStatus {
  RunningTasks: number;
  DesiredTasks: number;
  CompletedTasks: number;
}

/** Pure: running tasks count only on ready nodes (or when no node is known); desired of a global service = its live tasks. */
export function serviceStatus(s: Service, tasks: Task[], nodes: Node[]): ServiceStatus {
  const mine = tasks.filter((t) => t.ServiceID === s.ID);
  const readyNodes = new Set(nodes.filter((n) => n.Status.State === 'ready').map((n) => n.ID));
  const running = mine.filter(
    (t) =>
      t.Status.State === TaskState.RUNNING &&
      t.DesiredState === TaskState.RUNNING &&
      (!t.NodeID || readyNodes.size === 0 || readyNodes.has(t.NodeID)),
  ).length;
  const desired =
    'Replicated' in s.Spec.Mode
      ? s.Spec.Mode.Replicated.Replicas
      : mine.filter((t) => t.DesiredState === TaskState.RUNNING).length;
  return {
    RunningTasks: running,
    DesiredTasks: desired,
    CompletedTasks: mine.filter((t) => t.Status.State === TaskState.COMPLETE).length,
  };
}

/** `service ls` filters: name and id (by prefix, like docker), mode, label. */
function serviceMatches(s: Service, f: ListFilters | undefined): boolean {
  return (
    matchFilters(
      f,
      (k) =>
        k === 'name'
          ? [s.Spec.Name]
          : k === 'id'
            ? [s.ID]
            : k === 'mode'
              ? ['Replicated' in s.Spec.Mode ? 'replicated' : 'global']
              : null,
      ['name', 'id'],
    ) &&
    (!f?.label || labelsMatch(s.Spec.Labels, f.label))
  );
}

/** How many times `service rm` is built again when a task changed under it. */
const REMOVE_ATTEMPTS = 5;

const reader = (s: StoreState): Reader => ({ get: (t, id) => s.get(t, id), list: (t) => s.list(t) });

/** Service create/update/remove on the replicated store (the control API behind /services). */
export class ServiceApi {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  /** `spec` is the request body as sent: checked here (shape, then docker's rules) before the store. */
  async create(spec: unknown): Promise<{ ID: string }> {
    const normalized = normalizeServiceSpec(parseServiceSpec(spec));
    validateServiceSpec(normalized);
    const id = newId();
    await this.store.update((tx) => {
      if (tx.findByName('services', normalized.Name))
        throw new InvalidSpecError(`service ${normalized.Name} already exists`);
      const ports = resolvePorts(tx, normalized, id);
      const at = new Date(this.now()).toISOString();
      const spec = resolveDataRefs(tx, normalized);
      tx.create('services', {
        ID: id,
        Version: { Index: 0 },
        CreatedAt: at,
        UpdatedAt: at,
        Spec: spec,
        Endpoint: { Spec: spec.EndpointSpec, Ports: ports },
      });
    });
    return { ID: id };
  }

  /**
   * `version` must be the Version.Index the caller read (docker's optimistic concurrency). A change
   * of the task definition starts a rolling update; a change of replicas or labels does not.
   */
  async update(
    ref: string,
    version: number,
    spec: unknown,
    opts: { rollback?: boolean } = {},
  ): Promise<{ Warnings: string[] | null }> {
    const body = parseServiceSpec(spec);
    await this.store.update((tx) => {
      const current = findService(tx, ref);
      let next: ServiceSpec = normalizeServiceSpec(body);
      if (opts.rollback) {
        if (!current.PreviousSpec)
          throw new InvalidSpecError(`service ${current.Spec.Name} does not have a previous spec`);
        next = current.PreviousSpec;
      }
      validateServiceSpec(next);
      // Every secret and config must exist; each reference gets (or keeps) its pinned data version.
      next = resolveDataRefs(tx, next, current.Spec);
      if (next.Name !== current.Spec.Name)
        throw new InvalidSpecError(`changing the name of service ${current.Spec.Name} is not supported`);
      const ports = resolvePorts(tx, next, current.ID);
      const changed = specChangeNeedsUpdate(current.Spec, next);
      const at = new Date(this.now()).toISOString();
      const updated: Service = {
        ...current,
        Spec: next,
        PreviousSpec: changed || opts.rollback ? current.Spec : current.PreviousSpec,
        // The VIPs stay the service's: the orchestrator gives back those of networks it left.
        Endpoint: {
          Spec: next.EndpointSpec,
          Ports: ports,
          ...(current.Endpoint?.VirtualIPs ? { VirtualIPs: current.Endpoint.VirtualIPs } : {}),
        },
      };
      if (changed)
        updated.UpdateStatus = {
          State: opts.rollback ? 'rollback_started' : 'updating',
          StartedAt: at,
          Message: opts.rollback ? 'manually requested rollback' : 'update in progress',
        };
      if (!updated.PreviousSpec) delete updated.PreviousSpec;
      tx.update('services', updated, version);
      const services = tx.list('services').map((s) => (s.ID === updated.ID ? updated : s));
      prunePastVersions(tx, [current.Spec, current.PreviousSpec], services, tx.list('tasks'));
    });
    return { Warnings: null };
  }

  /**
   * `service rm`: the service goes, its tasks are marked for removal. The client gave no version,
   * so a task the dispatcher or orchestrator changed in between (a status report) is no conflict of
   * the client's: the removal is built again from the new state, a few times at most.
   */
  async remove(ref: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.removeOnce(ref);
      } catch (e) {
        if (!(e instanceof VersionConflictError) || e.table !== 'tasks' || attempt >= REMOVE_ATTEMPTS) throw e;
      }
    }
  }

  private async removeOnce(ref: string): Promise<void> {
    await this.store.update((tx) => {
      const s = findService(tx, ref);
      tx.delete('services', s.ID);
      const tasks = tx.list('tasks').map((t) => {
        if (t.ServiceID !== s.ID || t.DesiredState >= TaskState.REMOVE) return t;
        const removed = { ...t, DesiredState: TaskState.REMOVE };
        tx.update('tasks', removed);
        return removed;
      });
      const services = tx.list('services').filter((x) => x.ID !== s.ID);
      prunePastVersions(tx, [s.Spec, s.PreviousSpec], services, tasks);
    });
  }

  inspect(ref: string): Service {
    return this.store.view((s) => findService(reader(s), ref));
  }

  /** `service ls`: the services that pass `filters`; with `status`, each with its ServiceStatus. */
  list(filters?: ListFilters, opts: { status?: boolean } = {}): (Service & { ServiceStatus?: ServiceStatus })[] {
    return this.store.view((st) => {
      const services = st.list('services').filter((s) => serviceMatches(s, filters));
      if (!opts.status) return services.map((s) => ({ ...s }));
      const tasks = st.list('tasks');
      const nodes = st.list('nodes');
      return services.map((s) => ({ ...s, ServiceStatus: serviceStatus(s, tasks, nodes) }));
    });
  }
}
