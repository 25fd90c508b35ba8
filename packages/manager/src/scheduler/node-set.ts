import type { ResourceSet } from '../types';
import type { Node, Task } from '../store/types';
import { isTerminal } from '../store/types';

/** What the scheduler knows of one node: counts, reservations and host ports in use. */
export interface NodeInfo {
  node: Node;
  /** Active tasks (not terminal) on the node, total and per service. */
  total: number;
  byService: Map<string, number>;
  reservedCpus: number;
  reservedMemory: number;
  hostPorts: Set<string>;
}

export const portKey = (proto: string, port: number) => `${proto}/${port}`;

/** A task still holds its node's resources until it is terminal or no longer desired to run. */
const holdsResources = (t: Task) => !isTerminal(t.Status.State) && !isTerminal(t.DesiredState);

export function reservations(t: Task): Required<Pick<ResourceSet, 'NanoCPUs' | 'MemoryBytes'>> {
  const r = t.Spec.Resources?.Reservations;
  return { NanoCPUs: r?.NanoCPUs ?? 0, MemoryBytes: r?.MemoryBytes ?? 0 };
}

/** Host-mode published ports: only one task per node may hold each. */
export function hostPortsOf(t: Task): string[] {
  const ports = t.Endpoint?.Spec?.Ports ?? [];
  return ports
    .filter((p) => p.PublishMode === 'host' && p.PublishedPort)
    .map((p) => portKey(p.Protocol, p.PublishedPort!));
}

export function buildNodeInfos(nodes: Node[], tasks: Iterable<Task>): Map<string, NodeInfo> {
  const infos = new Map<string, NodeInfo>();
  for (const node of nodes) {
    infos.set(node.ID, {
      node,
      total: 0,
      byService: new Map(),
      reservedCpus: 0,
      reservedMemory: 0,
      hostPorts: new Set(),
    });
  }
  for (const t of tasks) {
    if (!t.NodeID || !holdsResources(t)) continue;
    const info = infos.get(t.NodeID);
    if (!info) continue;
    addTask(info, t);
  }
  return infos;
}

export function addTask(info: NodeInfo, t: Task): void {
  info.total++;
  info.byService.set(t.ServiceID, (info.byService.get(t.ServiceID) ?? 0) + 1);
  const r = reservations(t);
  info.reservedCpus += r.NanoCPUs;
  info.reservedMemory += r.MemoryBytes;
  for (const p of hostPortsOf(t)) info.hostPorts.add(p);
}
