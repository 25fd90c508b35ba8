import type { StoreState } from '../store/state';
import { TaskState } from '../store/types';

/** What every node's routing mesh needs: each ingress port and the running tasks behind it. */
export interface MeshService {
  serviceId: string;
  ports: { published: number; target: number; protocol: 'tcp' | 'udp' | 'sctp' }[];
  backends: { taskId: string; nodeId: string; address: string }[];
}

/** Pure: the mesh view of the whole cluster (sent to every node; ingress ports are cluster-wide). */
export function meshView(state: StoreState): MeshService[] {
  const out = new Map<string, MeshService>();
  for (const s of state.list('services')) {
    const ports = (s.Endpoint?.Ports ?? []).filter((p) => p.PublishMode === 'ingress' && p.PublishedPort).map((p) => ({ published: p.PublishedPort!, target: p.TargetPort, protocol: p.Protocol }));
    if (ports.length) out.set(s.ID, { serviceId: s.ID, ports, backends: [] });
  }
  for (const t of state.list('tasks')) {
    const m = out.get(t.ServiceID);
    if (!m || t.Status.State !== TaskState.RUNNING || t.DesiredState !== TaskState.RUNNING || !t.NodeID) continue;
    const address = t.Status.Addresses?.[0];
    if (address) m.backends.push({ taskId: t.ID, nodeId: t.NodeID, address });
  }
  for (const m of out.values()) m.backends.sort((a, b) => (a.taskId < b.taskId ? -1 : 1));
  return [...out.values()].sort((a, b) => (a.serviceId < b.serviceId ? -1 : 1));
}
