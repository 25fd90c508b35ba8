import type { PortConfig, ServiceSpec } from './types';
import { InvalidSpecError, PortConflictError, ServiceNotFoundError } from './errors';
import { validateServiceSpec } from './validate';
import { specChangeNeedsUpdate } from '../orchestrator/reconcile';
import { newId, type Store, type TxBuilder } from '../store/store';
import { TaskState, type Service } from '../store/types';

/** Docker's dynamic range for ingress ports published without a number. */
export const INGRESS_PORT_RANGE = [30000, 32767] as const;

/** Finds a service by full ID, unique ID prefix or name, like dockerd. */
export function findService(tx: Pick<TxBuilder, 'get' | 'list'>, ref: string): Service {
  const byId = tx.get('services', ref);
  if (byId) return byId;
  const all = tx.list('services');
  const byName = all.find((s) => s.Spec.Name === ref);
  if (byName) return byName;
  const byPrefix = all.filter((s) => s.ID.startsWith(ref));
  if (byPrefix.length === 1) return byPrefix[0]!;
  throw new ServiceNotFoundError(ref);
}

/** Ingress ports are cluster-wide: one service per published port; unnumbered ones get a free port. */
function resolvePorts(tx: TxBuilder, spec: ServiceSpec, selfId: string): PortConfig[] {
  const used = new Map<string, Service>();
  for (const s of tx.list('services')) {
    if (s.ID === selfId) continue;
    for (const p of s.Endpoint?.Ports ?? [])
      if (p.PublishMode === 'ingress' && p.PublishedPort) used.set(`${p.PublishedPort}/${p.Protocol}`, s);
  }
  const out: PortConfig[] = [];
  for (const p of spec.EndpointSpec?.Ports ?? []) {
    const port: PortConfig = {
      Protocol: p.Protocol ?? 'tcp',
      TargetPort: p.TargetPort,
      PublishMode: p.PublishMode ?? 'ingress',
      ...(p.Name ? { Name: p.Name } : {}),
    };
    if (p.PublishedPort) port.PublishedPort = p.PublishedPort;
    if (port.PublishMode === 'ingress') {
      if (!port.PublishedPort) {
        for (let n = INGRESS_PORT_RANGE[0]; n <= INGRESS_PORT_RANGE[1]; n++) {
          if (!used.has(`${n}/${port.Protocol}`)) {
            port.PublishedPort = n;
            break;
          }
        }
        if (!port.PublishedPort) throw new InvalidSpecError('no free ingress port left in 30000-32767');
      }
      const other = used.get(`${port.PublishedPort}/${port.Protocol}`);
      if (other) throw new PortConflictError(port.PublishedPort, port.Protocol, other.Spec.Name, other.ID);
      used.set(`${port.PublishedPort}/${port.Protocol}`, { ID: selfId, Spec: spec } as Service);
    }
    out.push(port);
  }
  return out;
}

/** Service create/update/remove on the replicated store (the control API behind /services). */
export class ServiceApi {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  async create(spec: ServiceSpec): Promise<{ ID: string }> {
    const normalized = normalize(spec);
    validateServiceSpec(normalized);
    const id = newId();
    await this.store.update((tx) => {
      if (tx.findByName('services', normalized.Name))
        throw new InvalidSpecError(`service ${normalized.Name} already exists`);
      const ports = resolvePorts(tx, normalized, id);
      const at = new Date(this.now()).toISOString();
      tx.create('services', {
        ID: id,
        Version: { Index: 0 },
        CreatedAt: at,
        UpdatedAt: at,
        Spec: normalized,
        Endpoint: { Spec: normalized.EndpointSpec, Ports: ports },
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
    spec: ServiceSpec,
    opts: { rollback?: boolean } = {},
  ): Promise<{ Warnings: string[] | null }> {
    await this.store.update((tx) => {
      const current = findService(tx, ref);
      let next = normalize(spec);
      if (opts.rollback) {
        if (!current.PreviousSpec)
          throw new InvalidSpecError(`service ${current.Spec.Name} does not have a previous spec`);
        next = current.PreviousSpec;
      }
      validateServiceSpec(next);
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
    });
    return { Warnings: null };
  }

  async remove(ref: string): Promise<void> {
    await this.store.update((tx) => {
      const s = findService(tx, ref);
      tx.delete('services', s.ID);
      for (const t of tx.list('tasks'))
        if (t.ServiceID === s.ID && t.DesiredState < TaskState.REMOVE)
          tx.update('tasks', { ...t, DesiredState: TaskState.REMOVE });
    });
  }

  inspect(ref: string): Service {
    return this.store.view((s) => findService({ get: (t, id) => s.get(t, id), list: (t) => s.list(t) }, ref));
  }
}

/** Fills docker's defaults so stored specs compare equal whatever the client left out. */
function normalize(spec: ServiceSpec): ServiceSpec {
  return {
    ...spec,
    Mode: spec.Mode ?? { Replicated: { Replicas: 1 } },
    TaskTemplate: { ...spec.TaskTemplate, ForceUpdate: spec.TaskTemplate?.ForceUpdate ?? 0 },
    EndpointSpec: {
      Mode: spec.EndpointSpec?.Mode ?? 'vip',
      ...(spec.EndpointSpec?.Ports?.length ? { Ports: spec.EndpointSpec.Ports } : {}),
    },
  };
}
