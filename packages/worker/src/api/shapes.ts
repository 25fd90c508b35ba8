// Docker's JSON shapes of swarm objects where they differ from the stored ones.
import { taskStateName, type Task } from '@flotilla/manager';

/** Docker's Task JSON: states as lowercase names (flotilla keeps swarmkit's ordered numbers inside). */
export function taskToApi(t: Task): Record<string, unknown> {
  const { Status, DesiredState, ...rest } = t;
  return {
    ...rest,
    Status: { ...Status, State: taskStateName(Status.State) },
    DesiredState: taskStateName(DesiredState),
  };
}
