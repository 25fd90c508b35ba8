// `service logs`: which tasks' logs to read, where, and with which prefix (docker's
// `web.1.<task>@<node>    | `). The reading and merging are the peer package's.
import type { SwarmManager } from '@flotilla/manager';
import { taskLogPrefix, type LogTask, type ServiceLogsOptions } from '../peer/service-logs';
import { DEFAULT_CLUSTER_PORT } from './requests';

/** Every task of the service that has a container, through the manager's control API. */
export function serviceLogTasks(m: SwarmManager, ref: string, opts: ServiceLogsOptions): LogTask[] {
  const svc = m.services.inspect(ref);
  const host = (id?: string) => m.store.state.get('nodes', id ?? '')?.Description.Hostname ?? id ?? '';
  return m.tasks.list({ service: [svc.ID] }).flatMap((t) => {
    const containerId = t.Status.ContainerStatus?.ContainerID;
    if (!containerId) return [];
    return [
      {
        taskId: t.ID,
        nodeId: t.NodeID ?? '',
        containerId,
        nodeName: host(t.NodeID),
        prefix: taskLogPrefix(svc.Spec.Name, t, host(t.NodeID), opts),
      },
    ];
  });
}

/** A node's Peer service: its address on the cluster port. */
export function nodeClusterAddr(m: SwarmManager, nodeId: string): string | undefined {
  const addr = m.store.state.get('nodes', nodeId)?.Status.Addr;
  return addr ? `${addr}:${DEFAULT_CLUSTER_PORT}` : undefined;
}
