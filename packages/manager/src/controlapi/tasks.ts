// Tasks in the control API: read only (the orchestrator, scheduler and dispatcher write them).
import type { Store } from '../store/store';
import type { Task } from '../store/types';
import { TaskNotFoundError } from './errors';
import { labelsMatch, matchFilters, parseDesiredState, type ListFilters } from './filters';
import { findService } from './services';

export class TaskApi {
  constructor(private readonly store: Store) {}

  /** By full ID or, like dockerd, a prefix of exactly one task's ID (`service ps` shows 12 characters). */
  inspect(id: string): Task {
    const t = this.store.state.get('tasks', id);
    if (t) return t;
    const byPrefix = id ? this.store.state.list('tasks').filter((x) => x.ID.startsWith(id)) : [];
    const [only] = byPrefix;
    if (only && byPrefix.length === 1) return only;
    throw new TaskNotFoundError(id);
  }

  /**
   * `service ps` / `node ps`: filters service (name, ID or ID prefix), node (ID or hostname),
   * id and name (`<service>.<slot or node>`) by prefix like docker, desired-state and label
   * (the service's labels).
   */
  list(filters?: ListFilters): Task[] {
    const st = this.store.state;
    const services = st.list('services');
    const serviceIds = filters?.service?.map((ref) => {
      try {
        return findService({ get: (t, id) => st.get(t, id), list: (t) => st.list(t) }, ref).ID;
      } catch {
        return ref;
      }
    });
    const f = { ...filters, ...(serviceIds ? { service: serviceIds } : {}) };
    const desired = filters?.['desired-state']?.map(parseDesiredState);
    return st.list('tasks').filter((t) => {
      const svc = services.find((s) => s.ID === t.ServiceID);
      const svcName = svc?.Spec.Name ?? '';
      // swarmkit: a task's labels are its service's (`stack ps` filters on the stack's namespace label).
      const labels = t.ServiceAnnotations?.Labels ?? svc?.Spec.Labels;
      return (
        matchFilters(
          f,
          (k) => {
            switch (k) {
              case 'service':
                return [t.ServiceID];
              case 'node':
                return [t.NodeID ?? '', st.get('nodes', t.NodeID ?? '')?.Description.Hostname ?? ''];
              case 'id':
                return [t.ID];
              case 'name':
                return [`${svcName}.${t.Slot ?? t.NodeID}`];
              default:
                return null;
            }
          },
          ['name', 'id'],
        ) &&
        (!desired || desired.includes(t.DesiredState)) &&
        (!filters?.label || labelsMatch(labels, filters.label))
      );
    });
  }
}
