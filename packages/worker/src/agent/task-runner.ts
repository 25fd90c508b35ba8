import { TaskState, type Task, type TaskStatus } from '@flotilla/manager';
import type { Logger } from 'pino';
import { TaskRejectedError } from './errors';
import type { TaskController, TaskEndpoint } from './executor';

export type StatusSink = (taskId: string, status: TaskStatus) => void;

/**
 * Drives one task's controller toward what the manager wants, reporting each state it reaches.
 * States only move forward; a task that stopped is never started again (the manager makes a new one).
 */
export class TaskRunner {
  private state: TaskState;
  private desired: TaskState;
  private readonly abort = new AbortController();
  private running: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  private removed = false;

  constructor(
    private task: Task,
    private readonly ctl: TaskController,
    private readonly report: StatusSink,
    private readonly log?: Logger,
  ) {
    this.state = task.Status.State;
    this.desired = task.DesiredState;
  }

  get id(): string {
    return this.task.ID;
  }

  get current(): TaskState {
    return this.state;
  }

  update(task: Task): void {
    this.task = task;
    this.desired = task.DesiredState;
    this.drive();
  }

  drive(): void {
    // A task the manager thinks is under way, which this runner did not start: the agent restarted.
    if (!this.running && this.state >= TaskState.ACCEPTED && this.state < TaskState.COMPLETE) {
      this.running = this.resume().catch((e: Error) =>
        this.log?.error({ err: e, task: this.task.ID }, 'task resume failed'),
      );
    }
    if (
      this.desired <= TaskState.RUNNING &&
      this.state < TaskState.RUNNING &&
      !this.running &&
      this.state < TaskState.COMPLETE
    ) {
      this.running = this.run().catch((e: Error) =>
        this.log?.error({ err: e, task: this.task.ID }, 'task runner failed'),
      );
    }
    if (this.desired > TaskState.RUNNING && this.state < TaskState.COMPLETE && !this.stopping) {
      this.stopping = this.stop();
    }
  }

  private set(state: TaskState, message: string, extra: Partial<TaskStatus> = {}): void {
    if (state < this.state) return;
    this.state = state;
    this.report(this.task.ID, { Timestamp: new Date().toISOString(), State: state, Message: message, ...extra });
  }

  private async run(): Promise<void> {
    try {
      this.set(TaskState.ACCEPTED, 'accepted');
      this.set(TaskState.PREPARING, 'preparing');
      await this.ctl.prepare(this.abort.signal);
      if (this.desired > TaskState.RUNNING) return;
      this.set(TaskState.READY, 'prepared');
      this.set(TaskState.STARTING, 'starting');
      const started = await this.ctl.start();
      if (this.state >= TaskState.COMPLETE) return;
      this.set(TaskState.RUNNING, 'started', {
        ContainerStatus: { ContainerID: started.containerId, PID: started.pid ?? 0 },
        ...endpointStatus(this.ctl.endpoint?.() ?? null),
      });
      const exit = await this.ctl.wait();
      if (this.stopping || this.desired > TaskState.RUNNING) return;
      const cs = { ContainerStatus: { ContainerID: started.containerId, ExitCode: exit.exitCode } };
      if (exit.exitCode === 0 && !exit.error) this.set(TaskState.COMPLETE, 'finished', cs);
      else
        this.set(TaskState.FAILED, 'started', { ...cs, Err: exit.error ?? `task: non-zero exit (${exit.exitCode})` });
    } catch (e) {
      if (this.stopping) return;
      const err = (e as Error).message;
      if (e instanceof TaskRejectedError) this.set(TaskState.REJECTED, 'preparing', { Err: err });
      else this.set(TaskState.FAILED, 'starting', { Err: err });
    }
  }

  /** Adopt the task's container if it still runs; otherwise the task failed with its node's daemon. */
  private async resume(): Promise<void> {
    const found = (await this.ctl.adopt?.().catch(() => null)) ?? null;
    if (found?.running) {
      this.set(TaskState.RUNNING, 'started', {
        ContainerStatus: { ContainerID: found.containerId },
        ...endpointStatus(this.ctl.endpoint?.() ?? null),
      });
      const exit = await this.ctl.wait();
      if (this.stopping || this.desired > TaskState.RUNNING) return;
      const cs = { ContainerStatus: { ContainerID: found.containerId, ExitCode: exit.exitCode } };
      if (exit.exitCode === 0 && !exit.error) this.set(TaskState.COMPLETE, 'finished', cs);
      else
        this.set(TaskState.FAILED, 'started', { ...cs, Err: exit.error ?? `task: non-zero exit (${exit.exitCode})` });
      return;
    }
    if (this.stopping) return;
    const code = found?.exitCode ?? 255;
    this.set(TaskState.FAILED, 'started', {
      ...(found ? { ContainerStatus: { ContainerID: found.containerId, ExitCode: code } } : {}),
      Err: found
        ? `task: non-zero exit (${code}): the container stopped while its node's daemon was down`
        : "task: the container was lost while its node's daemon was down",
    });
  }

  private async stop(): Promise<void> {
    this.abort.abort();
    try {
      await this.ctl.shutdown();
    } catch (e) {
      this.log?.warn({ err: e, task: this.task.ID }, 'shutdown failed');
    }
    this.set(TaskState.SHUTDOWN, 'shutdown');
  }

  /** The manager forgot the task: its container goes too. */
  async remove(): Promise<void> {
    if (this.removed) return;
    this.removed = true;
    this.desired = TaskState.REMOVE;
    this.abort.abort();
    if (this.state < TaskState.COMPLETE) await (this.stopping ?? this.ctl.shutdown().catch(() => undefined));
    await this.ctl.remove().catch((e: Error) => this.log?.warn({ err: e, task: this.task.ID }, 'remove failed'));
  }
}

/** The status fields a running task reports about where it is reached. */
function endpointStatus(ep: TaskEndpoint | null): Partial<TaskStatus> {
  if (!ep) return {};
  return {
    ...(ep.address ? { Addresses: [ep.address] } : {}),
    ...(ep.hostPorts ? { PortStatus: { Ports: ep.hostPorts } } : {}),
    ...(ep.exposedPorts?.length ? { ExposedPorts: ep.exposedPorts } : {}),
  };
}
