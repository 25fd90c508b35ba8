import type { Service, Task } from '../store/types';

/**
 * Whether a task runs the service's current definition. Compared by content, not by version:
 * a scale or a label change bumps the service's version but must not replace any task.
 */
export function taskMatchesService(task: Task, service: Service): boolean {
  return (
    memoJson(task.Spec) === memoJson(service.Spec.TaskTemplate) &&
    memoJson(task.Endpoint?.Spec?.Ports ?? EMPTY) === memoJson(service.Spec.EndpointSpec?.Ports ?? EMPTY)
  );
}

const EMPTY: unknown[] = [];
// Store objects are replaced, never mutated, and task copies share their Spec object: the
// serialization of a spec can be remembered by identity (the orchestrator compares every task).
const memo = new WeakMap<object, string>();
function memoJson(v: object): string {
  let s = memo.get(v);
  if (s === undefined) {
    s = stableJson(v);
    memo.set(v, s);
  }
  return s;
}

/** JSON with sorted keys and undefined dropped, so equal specs compare equal. */
export function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : x,
  );
}
