import type { ContainerCreateRequest, MountRequest } from '@flotilla/engine-core';
import type { Task } from '@flotilla/manager';

export const TASK_LABELS = {
  taskId: 'com.docker.swarm.task.id',
  taskName: 'com.docker.swarm.task.name',
  serviceId: 'com.docker.swarm.service.id',
  serviceName: 'com.docker.swarm.service.name',
  nodeId: 'com.docker.swarm.node.id',
} as const;

/** Docker names a task's container <service>.<slot>.<task ID> (global: <service>.<node ID>.<task ID>). */
export function taskContainerName(task: Task, serviceName: string): string {
  return `${serviceName}.${task.Slot ?? task.NodeID}.${task.ID}`;
}

/**
 * The container a task runs (pure): the service's ContainerSpec mapped onto a Docker Engine create
 * request, with the task's limits, mounts and network. Command/Args follow docker's service
 * semantics: ContainerSpec.Command replaces the image's ENTRYPOINT, Args its CMD.
 */
export function containerRequest(
  task: Task,
  opts: {
    serviceName: string;
    network: string | null;
    aliases: string[];
    /** The task's secret and config files (in its tmpfs), each bound read-only at its target. */
    files?: { source: string; target: string }[];
  },
): ContainerCreateRequest {
  const c = task.Spec.ContainerSpec;
  const limits = task.Spec.Resources?.Limits;
  const mounts: MountRequest[] = (c.Mounts ?? []).map((m) => ({
    Type: m.Type,
    Target: m.Target,
    ...(m.Source ? { Source: m.Source } : {}),
    ...(m.ReadOnly ? { ReadOnly: true } : {}),
    ...(m.TmpfsOptions ? { TmpfsOptions: m.TmpfsOptions } : {}),
  }));
  for (const f of opts.files ?? []) mounts.push({ Type: 'bind', Source: f.source, Target: f.target, ReadOnly: true });
  const req: ContainerCreateRequest = {
    Image: c.Image,
    Env: c.Env ?? [],
    Labels: {
      ...(c.Labels ?? {}),
      [TASK_LABELS.taskId]: task.ID,
      [TASK_LABELS.taskName]: `${opts.serviceName}.${task.Slot ?? task.NodeID}`,
      [TASK_LABELS.serviceId]: task.ServiceID,
      [TASK_LABELS.serviceName]: opts.serviceName,
      [TASK_LABELS.nodeId]: task.NodeID ?? '',
    },
    HostConfig: {
      NetworkMode: opts.network ?? 'bridge',
      RestartPolicy: { Name: 'no' },
      ...(limits?.NanoCPUs ? { NanoCpus: limits.NanoCPUs } : {}),
      ...(limits?.MemoryBytes ? { Memory: limits.MemoryBytes } : {}),
      ...(limits?.Pids ? { PidsLimit: limits.Pids } : {}),
      ...(mounts.length ? { Mounts: mounts } : {}),
      ...(c.Hosts?.length ? { ExtraHosts: c.Hosts.map(hostsEntryToExtraHost).flat() } : {}),
    },
  };
  if (c.Command?.length) req.Entrypoint = c.Command;
  if (c.Args?.length) req.Cmd = c.Args;
  if (c.Dir) req.WorkingDir = c.Dir;
  if (c.User) req.User = c.User;
  if (c.Hostname) req.Hostname = c.Hostname;
  if (c.StopSignal) req.StopSignal = c.StopSignal;
  if (c.StopGracePeriod !== undefined) req.StopTimeout = Math.ceil(c.StopGracePeriod / 1e9);
  if (c.Healthcheck) req.Healthcheck = c.Healthcheck;
  if (opts.network && opts.aliases.length)
    req.NetworkingConfig = { EndpointsConfig: { [opts.network]: { Aliases: opts.aliases } } };
  // `mode: host` ports bind on the node that runs the task (the scheduler keeps them unique per node).
  const hostPorts = (task.Endpoint?.Spec?.Ports ?? []).filter((p) => p.PublishMode === 'host');
  if (hostPorts.length) {
    req.ExposedPorts = Object.fromEntries(hostPorts.map((p) => [`${p.TargetPort}/${p.Protocol}`, {}]));
    req.HostConfig!.PortBindings = Object.fromEntries(
      hostPorts.map((p) => [`${p.TargetPort}/${p.Protocol}`, [{ HostIp: '', HostPort: String(p.PublishedPort ?? 0) }]]),
    );
  }
  return req;
}

/** Swarm's Hosts entries are "IP name [aliases...]"; docker's --add-host is "name:IP". */
function hostsEntryToExtraHost(entry: string): string[] {
  const [ip, ...names] = entry.trim().split(/\s+/);
  return names.map((n) => `${n}:${ip}`);
}
