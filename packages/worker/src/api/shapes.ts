import { taskStateName, TaskState, type Node, type Service, type Task } from '@flotilla/manager';

/** Docker's Task JSON: states as lowercase names (flotilla keeps swarmkit's ordered numbers inside). */
export function taskToApi(t: Task): Record<string, unknown> {
  const { Status, DesiredState, ...rest } = t;
  return {
    ...rest,
    Status: { ...Status, State: taskStateName(Status.State) },
    DesiredState: taskStateName(DesiredState),
  };
}

export function serviceToApi(s: Service, tasks?: Task[], nodes?: Node[]): Record<string, unknown> {
  if (!tasks) return { ...s };
  const mine = tasks.filter((t) => t.ServiceID === s.ID);
  const readyNodes = new Set((nodes ?? []).filter((n) => n.Status.State === 'ready').map((n) => n.ID));
  const running = mine.filter(
    (t) =>
      t.Status.State === TaskState.RUNNING &&
      t.DesiredState === TaskState.RUNNING &&
      (!t.NodeID || readyNodes.size === 0 || readyNodes.has(t.NodeID)),
  ).length;
  const desired =
    'Replicated' in s.Spec.Mode
      ? s.Spec.Mode.Replicated.Replicas
      : mine.filter((t) => t.DesiredState === TaskState.RUNNING).length;
  return {
    ...s,
    ServiceStatus: {
      RunningTasks: running,
      DesiredTasks: desired,
      CompletedTasks: mine.filter((t) => t.Status.State === TaskState.COMPLETE).length,
    },
  };
}

/** Docker's Node JSON; ManagerStatus is computed live by the manager answering (leader, reachability). */
export function nodeToApi(n: Node, managerStatus: Node['ManagerStatus']): Record<string, unknown> {
  const { ManagerStatus: stored, ...rest } = n;
  void stored;
  return { ...rest, ...(managerStatus ? { ManagerStatus: managerStatus } : {}) };
}

/** docker filters: every given key must match one of its values. */
export function matchFilters(
  filters: Record<string, string[]> | undefined,
  get: (key: string) => string[] | null,
): boolean {
  if (!filters) return true;
  for (const [k, values] of Object.entries(filters)) {
    if (!values.length) continue;
    const have = get(k);
    if (have === null) continue;
    if (!values.some((v) => have.includes(v))) return false;
  }
  return true;
}

export function labelsMatch(labels: Record<string, string> | undefined, wanted: string[]): boolean {
  return wanted.every((w) => {
    const [k, v] = w.split('=', 2) as [string, string | undefined];
    return labels !== undefined && k in labels && (v === undefined || labels[k] === v);
  });
}

export const parseDesiredState = (s: string): TaskState | undefined => {
  const k = s.toUpperCase() as keyof typeof TaskState;
  return typeof TaskState[k] === 'number' ? (TaskState[k] as TaskState) : undefined;
};
