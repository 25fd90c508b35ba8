import type { StoreState } from '../store/state';
import { TaskState } from '../store/types';

/** What every node's routing mesh needs: each ingress port and the running tasks behind it. */
export interface MeshService {
  serviceId: string;
  ports: { published: number; target: number; protocol: 'tcp' | 'udp' | 'sctp' }[];
  /**
   * `tunnel` is the mesh tunnel listener ("host:port") of the task's node, for the other nodes'
   * meshes; absent while that node has not told its tunnel port (those nodes cannot reach the task).
   */
  backends: { taskId: string; nodeId: string; address: string; tunnel?: string }[];
}

/** host:port, with brackets for an IPv6 host. */
function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Pure: the mesh view of the whole cluster (sent to every node; ingress ports are cluster-wide).
 * `tunnelPorts` maps node IDs to the mesh tunnel port each node reported; the host is the node's
 * address (Status.Addr).
 */
export function meshView(state: StoreState, tunnelPorts: ReadonlyMap<string, number> = new Map()): MeshService[] {
  const out = new Map<string, MeshService>();
  for (const s of state.list('services')) {
    const ports = (s.Endpoint?.Ports ?? []).filter((p) => p.PublishMode === 'ingress' && p.PublishedPort).map((p) => ({ published: p.PublishedPort!, target: p.TargetPort, protocol: p.Protocol }));
    if (ports.length) out.set(s.ID, { serviceId: s.ID, ports, backends: [] });
  }
  for (const t of state.list('tasks')) {
    const m = out.get(t.ServiceID);
    if (!m || t.Status.State !== TaskState.RUNNING || t.DesiredState !== TaskState.RUNNING || !t.NodeID) continue;
    const address = t.Status.Addresses?.[0];
    if (!address) continue;
    const port = tunnelPorts.get(t.NodeID);
    const host = port ? state.get('nodes', t.NodeID)?.Status.Addr : undefined;
    m.backends.push(host && host !== '0.0.0.0' ? { taskId: t.ID, nodeId: t.NodeID, address, tunnel: joinHostPort(host, port!) } : { taskId: t.ID, nodeId: t.NodeID, address });
  }
  for (const m of out.values()) m.backends.sort((a, b) => (a.taskId < b.taskId ? -1 : 1));
  return [...out.values()].sort((a, b) => (a.serviceId < b.serviceId ? -1 : 1));
}
