import type { RestartPolicy } from '../types';
import { TaskState, type Task } from '../store/types';

/** Docker's defaults: restart on any exit after 5 s, unlimited attempts. */
export const DEFAULT_RESTART_DELAY_NS = 5e9;

export interface RestartDecision {
  restart: boolean;
  /** Epoch ms before which the replacement must not start (the restart delay). */
  notBefore: number;
  reason: string;
}

const failed = (t: Task) => t.Status.State === TaskState.FAILED || t.Status.State === TaskState.REJECTED;

/**
 * Whether a task that stopped (while desired to run) gets a replacement, per restart_policy.
 * `history` holds the slot's earlier tasks (for max_attempts within window).
 */
export function decideRestart(
  task: Task,
  policy: RestartPolicy | undefined,
  history: Task[],
  now: number,
): RestartDecision {
  const condition = policy?.Condition ?? 'any';
  const delayMs = (policy?.Delay ?? DEFAULT_RESTART_DELAY_NS) / 1e6;
  const stoppedAt = Date.parse(task.Status.Timestamp) || now;
  if (condition === 'none') return { restart: false, notBefore: 0, reason: 'restart policy is none' };
  if (condition === 'on-failure' && !failed(task))
    return { restart: false, notBefore: 0, reason: 'exited cleanly and restart policy is on-failure' };
  const max = policy?.MaxAttempts ?? 0;
  if (max > 0) {
    const windowMs = (policy?.Window ?? 0) / 1e6;
    const attempts =
      history.filter(
        (t) =>
          t.ID !== task.ID &&
          t.Status.State >= TaskState.COMPLETE &&
          (windowMs === 0 || stoppedAt - (Date.parse(t.Status.Timestamp) || 0) <= windowMs),
      ).length + 1;
    if (attempts > max) return { restart: false, notBefore: 0, reason: `restart policy max attempts (${max}) reached` };
  }
  return { restart: true, notBefore: stoppedAt + delayMs, reason: '' };
}
