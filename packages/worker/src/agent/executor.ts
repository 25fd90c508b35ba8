// The boundary between the agent and whatever runs its tasks (the engine executor, or a test double).
import type { Node, Task, TaskStatus } from '@flotilla/manager';
import type { DependencyGetter } from './dependencies';

/** Where a running task is reached: its container address, and `mode: host` ports as the node bound them. */
export interface TaskEndpoint {
  address: string;
  hostPorts?: NonNullable<NonNullable<TaskStatus['PortStatus']>['Ports']>;
  /** TCP ports the container exposes (its image's EXPOSE): the service's VIPs serve them too. */
  exposedPorts?: number[];
}

/** What a task's container did when it stopped. */
export interface ExitStatus {
  exitCode: number;
  /** Docker's task error text, e.g. "task: non-zero exit (1)". */
  error?: string;
}

/**
 * One task's container on this node (swarmkit's exec.Controller): the agent drives it forward
 * prepare -> start -> wait, and shutdown/remove when the manager says so. Each call is idempotent.
 */
export interface TaskController {
  /** Get the image and create the container. Throws a RejectedError when it cannot run here. */
  prepare(signal: AbortSignal): Promise<void>;
  start(): Promise<{ containerId: string; pid?: number }>;
  /** Resolves when the container exits. */
  wait(): Promise<ExitStatus>;
  /** SIGTERM (or the stop signal), the grace period, then SIGKILL. */
  shutdown(): Promise<void>;
  remove(): Promise<void>;
  /** Addresses the routing mesh dials for this task, and its host-mode ports as bound, once it runs. */
  endpoint?(): TaskEndpoint | null;
  /**
   * After an agent restart: the container this node made for the task earlier, if any, and
   * whether it still runs (then the agent waits on it instead of starting anything).
   */
  adopt?(): Promise<{ containerId: string; running: boolean; exitCode: number } | null>;
}

export interface Executor {
  describe(): Promise<Node['Description']>;
  /** `deps`: the secrets and configs the manager sent with the task (swarmkit's DependencyGetter). */
  controller(task: Task, deps?: DependencyGetter): TaskController;
  /** Before the first task: clean up what a previous run of this daemon left (e.g. secret mounts). */
  init?(): Promise<void>;
  /** When the agent stops (daemon stop, swarm leave): release what the tasks held on the host. */
  close?(): Promise<void>;
  /** Containers of tasks this node ran before a restart (adopted or cleaned up by the agent). */
  existingTaskIds?(): Promise<string[]>;
}

// Kept here too: the executor package imports it from this module.
export { TaskRejectedError } from './errors';
