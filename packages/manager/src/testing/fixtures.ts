// Builders for store objects in unit tests and scale simulations of pure manager logic.
import { LocalProposer, Store } from '../store/store';
import { TaskState, type Node, type Task } from '../store/types';
import type { TaskSpec } from '../types';

/** A store of one manager without Raft: every update applies at once, in order. */
export function localStore(): Store {
  const p = new LocalProposer();
  const store = new Store(p);
  p.store = store;
  return store;
}

const meta = (id: string) => ({
  ID: id,
  Version: { Index: 1 },
  CreatedAt: '2026-01-01T00:00:00Z',
  UpdatedAt: '2026-01-01T00:00:00Z',
});

export function makeNode(
  id: string,
  opts: Partial<{
    role: 'worker' | 'manager';
    labels: Record<string, string>;
    state: Node['Status']['State'];
    availability: Node['Spec']['Availability'];
    cpus: number;
    memory: number;
    hostname: string;
  }> = {},
): Node {
  return {
    ...meta(id),
    Spec: { Labels: opts.labels ?? {}, Role: opts.role ?? 'worker', Availability: opts.availability ?? 'active' },
    Description: {
      Hostname: opts.hostname ?? `host-${id}`,
      Platform: { Architecture: 'x86_64', OS: 'linux' },
      Resources: { NanoCPUs: (opts.cpus ?? 2) * 1e9, MemoryBytes: opts.memory ?? 4 * 2 ** 30 },
      Engine: { EngineVersion: '0.1.0' },
    },
    Status: { State: opts.state ?? 'ready', Addr: '198.18.0.1' },
  };
}

export function makeTask(
  id: string,
  serviceId: string,
  opts: Partial<{
    slot: number;
    node: string;
    state: TaskState;
    desired: TaskState;
    spec: Partial<TaskSpec>;
    hostPorts: number[];
    specVersion: number;
  }> = {},
): Task {
  return {
    ...meta(id),
    ServiceID: serviceId,
    Slot: opts.slot,
    NodeID: opts.node,
    Spec: { ContainerSpec: { Image: 'app' }, ...opts.spec },
    SpecVersion: { Index: opts.specVersion ?? 1 },
    Status: { Timestamp: '2026-01-01T00:00:00Z', State: opts.state ?? TaskState.PENDING, Message: '' },
    DesiredState: opts.desired ?? TaskState.RUNNING,
    ...(opts.hostPorts
      ? {
          Endpoint: {
            Spec: {
              Ports: opts.hostPorts.map((p) => ({
                Protocol: 'tcp' as const,
                TargetPort: p,
                PublishedPort: p,
                PublishMode: 'host' as const,
              })),
            },
          },
        }
      : {}),
  };
}
