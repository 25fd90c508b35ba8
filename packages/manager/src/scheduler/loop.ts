import type { Logger } from 'pino';
import type { Store } from '../store/store';
import { isTerminal, TaskState, type Task } from '../store/types';
import { schedule } from './scheduler';
import { CoalescedPass } from '../util/coalesced-pass';

/**
 * Runs on the leader: assigns PENDING tasks to nodes in batches. Tasks that fit nowhere stay
 * PENDING with the reason as their status message (what `service ps` shows), and are tried again
 * whenever nodes or tasks change.
 */
export class SchedulerLoop {
  private readonly passes = new CoalescedPass(
    () => this.assign(),
    (e) => this.opts.log?.debug({ err: e }, 'scheduler pass retried'),
  );
  private readonly onChange = (events: { table: string; object: unknown }[]) => {
    if (
      events.length === 0 ||
      events.some(
        (e) =>
          e.table === 'nodes' ||
          (e.table === 'tasks' &&
            ((e.object as Task).Status.State === TaskState.PENDING || isTerminal((e.object as Task).Status.State))),
      )
    )
      this.kick();
  };

  constructor(
    private readonly store: Store,
    private readonly opts: { log?: Logger; now?: () => number } = {},
  ) {}

  start(): void {
    this.store.on('change', this.onChange);
    this.kick();
  }

  stop(): void {
    this.store.off('change', this.onChange);
  }

  private kick(): void {
    this.passes.kick();
  }

  pass(): Promise<void> {
    return this.passes.run();
  }

  private async assign(): Promise<void> {
    await this.store.update((tx) => {
      const tasks = tx.list('tasks');
      const pending = tasks.filter((t) => t.Status.State === TaskState.PENDING && t.DesiredState <= TaskState.RUNNING);
      if (pending.length === 0) return;
      const nodes = tx.list('nodes');
      // Global tasks come with their node chosen; the scheduler still checks that node fits.
      const r = schedule(nodes, tasks, pending);
      const at = new Date((this.opts.now ?? Date.now)()).toISOString();
      for (const t of pending) {
        const nodeId = r.assigned.get(t.ID);
        if (nodeId && (!t.NodeID || t.NodeID === nodeId)) {
          tx.update('tasks', {
            ...t,
            NodeID: nodeId,
            Status: { Timestamp: at, State: TaskState.ASSIGNED, Message: 'scheduler assigned task to node' },
          });
        } else {
          const reason = r.failed.get(t.ID) ?? 'no suitable node';
          if (t.Status.Message !== reason)
            tx.update('tasks', { ...t, Status: { ...t.Status, Message: reason, Err: reason } });
        }
      }
    });
  }
}
