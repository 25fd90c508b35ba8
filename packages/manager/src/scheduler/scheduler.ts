import type { Node, Task } from '../store/types';
import { parseConstraint, satisfies, nodeAttribute, type Constraint } from './constraints';
import { MinHeap } from './heap';
import { addTask, buildNodeInfos, hostPortsOf, reservations, type NodeInfo } from './node-set';

export interface ScheduleResult {
  /** task ID -> node ID */
  assigned: Map<string, string>;
  /** task ID -> why no node fits, in docker's words ("no suitable node (...)"). */
  failed: Map<string, string>;
}

type Reason = 'unavailable' | 'constraints' | 'resources' | 'ports' | 'maxReplicas';

const REASON_TEXT: Record<Reason, (n: number) => string> = {
  unavailable: (n) => `${n} node${n === 1 ? '' : 's'} not available for new tasks`,
  constraints: (n) => `scheduling constraints not satisfied on ${n} node${n === 1 ? '' : 's'}`,
  resources: (n) => `insufficient resources on ${n} node${n === 1 ? '' : 's'}`,
  ports: (n) => `host-mode port already in use on ${n} node${n === 1 ? '' : 's'}`,
  maxReplicas: (n) => `max replicas per node limit exceed on ${n} node${n === 1 ? '' : 's'}`,
};

/**
 * Assigns pending tasks to nodes (pure). Tasks of one service and spec version share their filter
 * results, so a batch costs O(nodes) per group plus O(log nodes) per task: spread = fewest tasks
 * of this service on the node, then fewest tasks overall, then node ID for determinism.
 */
export function schedule(nodes: Node[], allTasks: Iterable<Task>, pending: Task[]): ScheduleResult {
  const infos = buildNodeInfos(nodes, allTasks);
  const result: ScheduleResult = { assigned: new Map(), failed: new Map() };
  const groups = new Map<string, Task[]>();
  for (const t of pending) {
    const key = `${t.ServiceID}@${t.SpecVersion.Index}`;
    const g = groups.get(key);
    if (g) g.push(t);
    else groups.set(key, [t]);
  }
  for (const group of groups.values()) scheduleGroup(group, infos, result);
  return result;
}

function scheduleGroup(group: Task[], infos: Map<string, NodeInfo>, result: ScheduleResult): void {
  const [sample] = group;
  if (!sample) return;
  const serviceId = sample.ServiceID;
  const reasons = new Map<Reason, number>();
  const note = (r: Reason) => reasons.set(r, (reasons.get(r) ?? 0) + 1);
  let constraints: Constraint[];
  try {
    constraints = (sample.Spec.Placement?.Constraints ?? []).map(parseConstraint);
  } catch (e) {
    for (const t of group) result.failed.set(t.ID, (e as Error).message);
    return;
  }
  const eligible: NodeInfo[] = [];
  for (const info of infos.values()) {
    const n = info.node;
    if (n.Status.State !== 'ready' || n.Spec.Availability !== 'active') note('unavailable');
    else if (!constraints.every((c) => satisfies(n, c))) note('constraints');
    else eligible.push(info);
  }
  const need = reservations(sample);
  const ports = hostPortsOf(sample);
  const maxReplicas = sample.Spec.Placement?.MaxReplicas ?? 0;
  /** Per-task checks: these only get harder within a batch, so a node that fails stays out. */
  const fits = (info: NodeInfo): Reason | null => {
    const res = info.node.Description.Resources;
    if (
      (need.NanoCPUs && info.reservedCpus + need.NanoCPUs > res.NanoCPUs) ||
      (need.MemoryBytes && info.reservedMemory + need.MemoryBytes > res.MemoryBytes)
    )
      return 'resources';
    if (ports.some((p) => info.hostPorts.has(p))) return 'ports';
    if (maxReplicas > 0 && (info.byService.get(serviceId) ?? 0) >= maxReplicas) return 'maxReplicas';
    return null;
  };
  const fail = (t: Task) => {
    const parts = (Object.keys(REASON_TEXT) as Reason[])
      .filter((r) => reasons.has(r))
      .map((r) => REASON_TEXT[r](reasons.get(r)!));
    result.failed.set(
      t.ID,
      parts.length ? `no suitable node (${parts.join('; ')})` : 'no suitable node (no nodes in the swarm)',
    );
  };
  const assign = (t: Task, info: NodeInfo) => {
    result.assigned.set(t.ID, info.node.ID);
    addTask(info, { ...t, NodeID: info.node.ID });
  };

  // Global tasks come with their node chosen: check that node, never pick another.
  const eligibleIds = new Set(eligible.map((i) => i.node.ID));
  const free: Task[] = [];
  for (const t of group) {
    if (!t.NodeID) {
      free.push(t);
      continue;
    }
    const info = infos.get(t.NodeID);
    const why: Reason | null =
      !info || !eligibleIds.has(t.NodeID)
        ? info && info.node.Status.State === 'ready' && info.node.Spec.Availability === 'active'
          ? 'constraints'
          : 'unavailable'
        : fits(info);
    if (why) result.failed.set(t.ID, `no suitable node (${REASON_TEXT[why](1)})`);
    else assign(t, info!);
  }
  if (!free.length) return;
  group = free;

  const prefs = (sample.Spec.Placement?.Preferences ?? []).map((p) => p.Spread.SpreadDescriptor);
  if (prefs.length) {
    spreadByPreferences(group, eligible, prefs, serviceId, fits, note, assign, fail);
    return;
  }
  const load = (i: NodeInfo) => i.byService.get(serviceId) ?? 0;
  const heap = new MinHeap<NodeInfo>((a, b) => lessLoaded(a, b, load));
  for (const i of eligible) heap.push(i);
  for (const t of group) {
    let placed = false;
    while (heap.size) {
      const info = heap.pop()!;
      const why = fits(info);
      if (why) {
        note(why);
        continue;
      }
      assign(t, info);
      heap.push(info);
      placed = true;
      break;
    }
    if (!placed) fail(t);
  }
}

/** Fewest tasks of this service, then fewest tasks overall, then the smaller node ID. */
function lessLoaded(a: NodeInfo, b: NodeInfo, load: (i: NodeInfo) => number): boolean {
  const d = load(a) - load(b);
  if (d) return d < 0;
  const t = a.total - b.total;
  if (t) return t < 0;
  return a.node.ID < b.node.ID;
}

/** Placement preferences: spread evenly over the values of each label in turn, then over nodes. */
function spreadByPreferences(
  group: Task[],
  eligible: NodeInfo[],
  prefs: string[],
  serviceId: string,
  fits: (i: NodeInfo) => Reason | null,
  note: (r: Reason) => void,
  assign: (t: Task, i: NodeInfo) => void,
  fail: (t: Task) => void,
): void {
  const excluded = new Set<NodeInfo>();
  const load = (i: NodeInfo) => i.byService.get(serviceId) ?? 0;
  const valueOf = (i: NodeInfo, descriptor: string) => nodeAttribute(i.node, descriptor) ?? '';
  const pick = (nodes: NodeInfo[], level: number): NodeInfo | null => {
    const pref = prefs[level];
    if (pref === undefined) {
      let best: NodeInfo | null = null;
      for (const i of nodes) {
        if (excluded.has(i)) continue;
        const why = fits(i);
        if (why) {
          note(why);
          excluded.add(i);
          continue;
        }
        if (!best || lessLoaded(i, best, load)) best = i;
      }
      return best;
    }
    const branches = new Map<string, NodeInfo[]>();
    for (const i of nodes) {
      const v = valueOf(i, pref);
      const b = branches.get(v);
      if (b) b.push(i);
      else branches.set(v, [i]);
    }
    const ordered = [...branches.entries()]
      .map(([v, ns]) => ({ v, ns, n: ns.reduce((s, i) => s + load(i), 0) }))
      .sort((a, b) => a.n - b.n || (a.v < b.v ? -1 : 1));
    for (const b of ordered) {
      const got = pick(b.ns, level + 1);
      if (got) return got;
    }
    return null;
  };
  for (const t of group) {
    const info = pick(eligible, 0);
    if (info) assign(t, info);
    else fail(t);
  }
}
