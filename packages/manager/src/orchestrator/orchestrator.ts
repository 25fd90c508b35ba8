import type { Logger } from 'pino';
import type { Store, TxBuilder } from '../store/store';
import { CLUSTER_OBJECT_ID } from '../store/tables';
import { isTerminal, TaskState, type Service, type Task, type VirtualIP } from '../store/types';
import { reconcileGlobal, reconcileReplicated, type Action } from './reconcile';
import { NetworkAllocator, releaseUnusedNetworks } from './networks';
import { newTask } from './task-factory';
import { planUpdate } from './updater';
import { desiredVips, sameVips, serviceNetworkNames, vipsInUse } from './vips';
import type { NetworkObject } from '../store/tables';
import { CoalescedPass } from '../util/coalesced-pass';

export interface OrchestratorOptions {
  now?: () => number;
  log?: Logger;
}

/**
 * Runs on the leader: turns services into tasks. Every store change marks the services it touches
 * dirty; one pass reconciles them and writes all resulting changes in one transaction.
 */
export class Orchestrator {
  private readonly dirty = new Set<string>();
  private all = true;
  private readonly passes = new CoalescedPass(
    () => this.reconcilePass(),
    (e) => {
      // A conflicting write raced us: reconcile everything again.
      this.opts.log?.debug({ err: e }, 'orchestrator pass retried');
      this.all = true;
    },
  );
  private timer: NodeJS.Timeout | null = null;
  private wakeAt: number | null = null;
  private readonly now: () => number;
  private readonly onChange = (
    events: { table: string; object: { ID: string; ServiceID?: string; NodeID?: string } }[],
  ) => {
    for (const e of events) {
      if (e.table === 'services') this.dirty.add(e.object.ID);
      else if (e.table === 'tasks' && e.object.ServiceID) this.dirty.add(e.object.ServiceID);
      // A node or a cluster setting (task history limit) can concern every service.
      else if (e.table === 'nodes' || e.table === 'clusters') this.all = true;
    }
    if (events.length === 0) this.all = true;
    this.kick();
  };

  constructor(
    private readonly store: Store,
    private readonly opts: OrchestratorOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    this.store.on('change', this.onChange);
    this.all = true;
    this.kick();
  }

  stop(): void {
    this.store.off('change', this.onChange);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Coalesces bursts of changes into one pass. */
  private kick(): void {
    this.passes.kick();
  }

  /** One reconcile pass over the dirty services; returns when its transaction is applied. */
  pass(): Promise<void> {
    return this.passes.run();
  }

  private async reconcilePass(): Promise<void> {
    const ids = this.all ? null : new Set(this.dirty);
    this.all = false;
    this.dirty.clear();
    let wakeAt: number | null = null;
    await this.store.update((tx) => {
      wakeAt = this.reconcileAll(tx, ids);
    });
    this.arm(wakeAt);
  }

  private reconcileAll(tx: TxBuilder, ids: Set<string> | null): number | null {
    const now = this.now();
    const at = new Date(now).toISOString();
    const nodes = tx.list('nodes');
    const downNodes = new Set(nodes.filter((n) => n.Status.State === 'down').map((n) => n.ID));
    const historyLimit = tx.get('clusters', CLUSTER_OBJECT_ID)?.Spec.Orchestration.TaskHistoryRetentionLimit;
    const drainedNodes = new Set(nodes.filter((n) => n.Spec.Availability === 'drain').map((n) => n.ID));
    const tasksByService = new Map<string, Task[]>();
    for (const t of tx.list('tasks')) {
      const list = tasksByService.get(t.ServiceID);
      if (list) list.push(t);
      else tasksByService.set(t.ServiceID, [t]);
    }
    let wakeAt: number | null = null;
    const services = new Map(tx.list('services').map((s) => [s.ID, s]));
    const networks = new NetworkAllocator(tx, at);
    const vipsTaken = vipsInUse([...services.values()]);
    // Tasks of deleted services: stop them, then forget them.
    for (const [sid, tasks] of tasksByService) {
      if (services.has(sid) || (ids && !ids.has(sid))) continue;
      for (const t of tasks) {
        if (t.DesiredState < TaskState.REMOVE) tx.update('tasks', { ...t, DesiredState: TaskState.REMOVE });
        else if (isTerminal(t.Status.State) || !t.NodeID) tx.delete('tasks', t.ID);
      }
    }
    for (const service of services.values()) {
      if (ids && !ids.has(service.ID)) continue;
      const tasks = tasksByService.get(service.ID) ?? [];
      const isGlobal = 'Global' in service.Spec.Mode;
      const r = isGlobal
        ? reconcileGlobal(service, tasks, nodes, now, { historyLimit })
        : reconcileReplicated(service, tasks, now, { downNodes, drainedNodes, historyLimit });
      const actions = [...r.actions];
      wakeAt = min(wakeAt, r.wakeAt);
      let svc: Service = service;
      let changed = false;
      if (!isGlobal) {
        const plan = planUpdate(service, tasks, now);
        wakeAt = min(wakeAt, plan.wakeAt);
        actions.push(...plan.actions.filter((a) => !actions.some((b) => sameAction(a, b))));
        if (plan.status || plan.rollback) {
          svc = { ...service, UpdateStatus: plan.status ?? service.UpdateStatus };
          if (plan.rollback && service.PreviousSpec)
            svc = { ...svc, Spec: service.PreviousSpec, PreviousSpec: service.Spec };
          changed = true;
        }
      }
      const vips = this.virtualIps(svc, networks, vipsTaken);
      if (vips) {
        svc = { ...svc, Endpoint: { ...(svc.Endpoint ?? { Spec: svc.Spec.EndpointSpec }), VirtualIPs: vips } };
        if (!vips.length) delete svc.Endpoint!.VirtualIPs;
        changed = true;
      }
      // One write per service per pass (a second put of the same object would fail its version check).
      if (changed) tx.update('services', svc);
      this.applyActions(tx, svc, tasks, actions, at, networks);
    }
    // A service went away (or everything was looked at): subnets nobody uses go back to the pool.
    if (!ids || [...ids].some((id) => !services.has(id))) releaseUnusedNetworks(tx);
    return wakeAt;
  }

  /**
   * The service's VIPs (its networks made first if need be) when they differ from what it holds,
   * else null. A network or VIP that cannot be allocated is logged and left out: the tasks still
   * run, the name then has no VIP on that network.
   */
  private virtualIps(
    svc: Service,
    networks: NetworkAllocator,
    taken: Map<string, Map<number, string>>,
  ): VirtualIP[] | null {
    const byName = new Map<string, NetworkObject>();
    if ((svc.Spec.EndpointSpec?.Mode ?? 'vip') === 'vip') {
      for (const name of serviceNetworkNames(svc)) {
        try {
          byName.set(name, networks.ensure(name));
        } catch (e) {
          this.opts.log?.warn(
            { err: e, service: svc.Spec.Name, network: name },
            'no subnet for the network of a service: no VIP there',
          );
        }
      }
    }
    try {
      const want = desiredVips(svc, byName, taken);
      return sameVips(svc.Endpoint?.VirtualIPs, want) ? null : want;
    } catch (e) {
      this.opts.log?.warn({ err: e, service: svc.Spec.Name }, 'cannot allocate the virtual IPs of a service');
      return null;
    }
  }

  private applyActions(
    tx: TxBuilder,
    service: Service,
    tasks: Task[],
    actions: Action[],
    at: string,
    networks: NetworkAllocator,
  ): void {
    const byId = new Map(tasks.map((t) => [t.ID, t]));
    const createdSlots = new Set<number>();
    for (const a of actions) {
      if (a.kind === 'create') {
        // One new task per slot per pass, whichever rule asked for it.
        if (a.slot !== undefined) {
          if (createdSlots.has(a.slot)) continue;
          createdSlots.add(a.slot);
        }
        tx.create('tasks', withNetworks(networks, newTask(service, at, { slot: a.slot, nodeId: a.nodeId })));
      } else if (a.kind === 'shutdown') {
        const t = byId.get(a.taskId);
        if (!t) continue;
        const desired = a.remove ? TaskState.REMOVE : TaskState.SHUTDOWN;
        if (t.DesiredState >= desired) continue;
        // A task no worker has yet can stop right here.
        const unassigned = !t.NodeID || t.Status.State < TaskState.ASSIGNED;
        const status =
          unassigned && !isTerminal(t.Status.State)
            ? { ...t.Status, State: TaskState.SHUTDOWN, Message: 'shutdown', Timestamp: at }
            : t.Status;
        tx.update('tasks', { ...t, DesiredState: desired, Status: status });
        byId.set(t.ID, { ...t, DesiredState: desired });
      } else {
        if (byId.has(a.taskId)) tx.delete('tasks', a.taskId);
        byId.delete(a.taskId);
      }
    }
  }

  private arm(wakeAt: number | null): void {
    if (wakeAt === null || (this.wakeAt !== null && this.wakeAt <= wakeAt && this.timer)) return;
    if (this.timer) clearTimeout(this.timer);
    this.wakeAt = wakeAt;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.wakeAt = null;
        this.all = true;
        this.kick();
      },
      Math.max(0, wakeAt - this.now()),
    );
    this.timer.unref();
  }
}

/** A task whose network cannot get a subnet is rejected with the reason, not left to loop the pass. */
function withNetworks(networks: NetworkAllocator, task: Task): Task {
  try {
    return networks.attach(task);
  } catch (e) {
    return {
      ...task,
      Status: {
        ...task.Status,
        State: TaskState.REJECTED,
        Message: 'network allocation failed',
        Err: (e as Error).message,
      },
    };
  }
}

function min(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

function sameAction(a: Action, b: Action): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
