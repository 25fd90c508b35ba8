// `service logs`: which tasks' logs to read, where, and with which prefix (docker's
// `web.1.<task>@<node>    | `). The reading and merging are the peer package's.
import type { ContainerManager } from '@flotilla/engine-core';
import { channelCredentials, type NodeTls, type SwarmManager } from '@flotilla/manager';
import {
  serviceLogLines,
  taskLogPrefix,
  type LogTask,
  type ServiceLogLine,
  type ServiceLogsOptions,
} from '../peer/service-logs';
import { DEFAULT_CLUSTER_PORT } from './requests';

/**
 * The details dockerd puts before each service log line when asked (`details=1`, as the docker CLI
 * always asks): the docker CLI reads the task, service and node from them to write its own prefix.
 */
export function dockerLogDetails(nodeId: string, serviceId: string, taskId: string): string {
  return `com.docker.swarm.node.id=${nodeId},com.docker.swarm.service.id=${serviceId},com.docker.swarm.task.id=${taskId}`;
}

/** Every task of the service (or only `task`) that has a container, through the manager's control API. */
export function serviceLogTasks(
  m: SwarmManager,
  ref: string,
  opts: ServiceLogsOptions & { task?: string; details?: boolean },
): LogTask[] {
  const svc = m.services.inspect(ref);
  const host = (id?: string) => m.store.state.get('nodes', id ?? '')?.Description.Hostname ?? id ?? '';
  return m.tasks.list({ service: [svc.ID] }).flatMap((t) => {
    if (opts.task !== undefined && t.ID !== opts.task) return [];
    const containerId = t.Status.ContainerStatus?.ContainerID;
    if (!containerId) return [];
    return [
      {
        taskId: t.ID,
        nodeId: t.NodeID ?? '',
        containerId,
        nodeName: host(t.NodeID),
        prefix: opts.details
          ? `${dockerLogDetails(t.NodeID ?? '', svc.ID, t.ID)} `
          : taskLogPrefix(svc.Spec.Name, t, host(t.NodeID), opts),
      },
    ];
  });
}

/** A node's Peer service: its address on the cluster port. */
export function nodeClusterAddr(m: SwarmManager, nodeId: string): string | undefined {
  const addr = m.store.state.get('nodes', nodeId)?.Status.Addr;
  return addr ? `${addr}:${DEFAULT_CLUSTER_PORT}` : undefined;
}

/**
 * `service logs` options; `nodeAddr` finds a node's Peer service (default: its address on the
 * cluster port); `task` limits them to one task's (`GET /tasks/{id}/logs`); `details` puts
 * docker's details (dockerLogDetails and a space) before each line instead of flotilla's prefix.
 */
export type ServiceLogsRequest = ServiceLogsOptions & {
  nodeAddr?: (nodeId: string) => string | undefined;
  task?: string;
  details?: boolean;
};

/**
 * `service logs`: the log lines of every task of the service, read on the node each ran on (see
 * peer/service-logs), prefixed like docker's `web.1.<task>@<node>    | `, merged as they come
 * (follow keeps going). `tls` is this node's certificate, for the other nodes' TaskLogs.
 */
export async function* serviceLogs(
  m: SwarmManager,
  ref: string,
  opts: ServiceLogsRequest,
  tls: NodeTls | null,
  containers: ContainerManager,
): AsyncGenerator<ServiceLogLine> {
  yield* serviceLogLines(serviceLogTasks(m, ref, opts), opts, {
    localNodeId: m.nodeId,
    local: (id, o) => containers.logs(id, o),
    nodeAddr: opts.nodeAddr ?? ((id) => nodeClusterAddr(m, id)),
    credentials: tls ? channelCredentials(tls) : undefined,
    tasks: () => serviceLogTasks(m, ref, opts),
  });
}
