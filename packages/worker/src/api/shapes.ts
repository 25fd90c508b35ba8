// Docker's JSON shapes of swarm objects and log lines where they differ from flotilla's.
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

/**
 * A service log line `<details> <time> <text>` (flotilla's prefix comes before the time) in docker's
 * order when both details and timestamps are asked for: `<time> <details> <text>`.
 */
export function timestampFirst(line: string): string {
  const d = line.indexOf(' ');
  const t = d < 0 ? -1 : line.indexOf(' ', d + 1);
  if (t < 0) return line;
  return `${line.slice(d + 1, t)} ${line.slice(0, d)}${line.slice(t)}`;
}
