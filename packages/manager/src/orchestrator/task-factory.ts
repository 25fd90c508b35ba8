import { newId } from '../store/store';
import { TaskState, type Service, type Task } from '../store/types';

/** A new task for a slot (replicated) or a node (global), from the service's current spec. */
export function newTask(service: Service, at: string, where: { slot?: number; nodeId?: string }): Task {
  return {
    ID: newId(),
    Version: { Index: 0 },
    CreatedAt: at,
    UpdatedAt: at,
    ServiceID: service.ID,
    ...(where.slot !== undefined ? { Slot: where.slot } : {}),
    ...(where.nodeId !== undefined ? { NodeID: where.nodeId } : {}),
    Spec: service.Spec.TaskTemplate,
    SpecVersion: { Index: service.Version.Index },
    Status: { Timestamp: at, State: TaskState.PENDING, Message: 'pending task scheduling' },
    DesiredState: TaskState.RUNNING,
    Endpoint: { Spec: { Mode: service.Spec.EndpointSpec?.Mode ?? 'vip', Ports: service.Endpoint?.Ports ?? [] } },
    ServiceAnnotations: { Name: service.Spec.Name, ...(service.Spec.Labels ? { Labels: service.Spec.Labels } : {}) },
  };
}
