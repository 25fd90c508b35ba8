// Task status reports from workers: checked (zod), batched, and written in one store transaction
// per flush (one Raft entry for every report that arrived meanwhile, not one per report).
import { z } from 'zod';
import type { Store, TxBuilder } from '../store/store';
import { TaskState, type Task, type TaskStatus } from '../store/types';

const statusSchema = z.object({
  Timestamp: z.string(),
  State: z.number().int().min(TaskState.NEW).max(TaskState.ORPHANED),
  Message: z.string(),
  Err: z.string().optional(),
  ContainerStatus: z
    .object({ ContainerID: z.string().optional(), PID: z.number().optional(), ExitCode: z.number().optional() })
    .optional(),
  PortStatus: z.unknown().optional(),
  Addresses: z.array(z.string()).max(16).optional(),
  ExposedPorts: z.array(z.number().int().min(1).max(65535)).max(64).optional(),
});

type Batch = Map<string, { nodeId: string; status: TaskStatus }>;

/** Pure: writes the reports that change something; only the task's own node reports it, and states only move forward. */
export function applyStatusReports(tx: TxBuilder, batch: Batch): void {
  for (const [taskId, { nodeId, status }] of batch) {
    const t = tx.get('tasks', taskId);
    if (!t || t.NodeID !== nodeId || status.State < t.Status.State) continue;
    if (status.State === t.Status.State && status.Message === t.Status.Message && status.Err === t.Status.Err) continue;
    tx.update('tasks', { ...t, Status: status } as Task);
  }
}

export class StatusReports {
  private batch: Batch = new Map();
  private flushing: Promise<void> | null = null;

  constructor(private readonly store: Store) {}

  /** Adds a node's reports (JSON TaskStatus each); throws at the first malformed one. */
  add(nodeId: string, updates: { taskId: string; statusJson: Buffer }[]): void {
    for (const u of updates) {
      const status = statusSchema.parse(JSON.parse(Buffer.from(u.statusJson).toString('utf8'))) as TaskStatus;
      this.batch.set(u.taskId, { nodeId, status });
    }
  }

  /** One store transaction for every report that arrived meanwhile. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing.then(() => (this.batch.size ? this.flush() : undefined));
    const batch = this.batch;
    this.batch = new Map();
    this.flushing = this.store
      .update((tx) => applyStatusReports(tx, batch))
      .finally(() => {
        this.flushing = null;
      });
    return this.flushing;
  }
}
