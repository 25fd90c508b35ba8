import type { Service, Task } from '../store/types';

/**
 * Whether a task runs the service's current definition. Compared by content, not by version:
 * a scale or a label change bumps the service's version but must not replace any task.
 */
export function taskMatchesService(task: Task, service: Service): boolean {
  return stableJson(task.Spec) === stableJson(service.Spec.TaskTemplate) && stableJson(task.Endpoint?.Spec?.Ports ?? []) === stableJson(service.Spec.EndpointSpec?.Ports ?? []);
}

/** JSON with sorted keys and undefined dropped, so equal specs compare equal. */
export function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1))) : x,
  );
}
