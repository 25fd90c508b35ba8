// ReadIndex bookkeeping on the leader (thesis §6.4): each read waits for a heartbeat round that
// proves we were still leader after the read arrived. An ack for a later request also confirms
// every earlier one, since its heartbeat was sent after them.
import type { Message, NodeId } from '../types';

export interface PendingRead {
  index: number;
  req: Message;
  acks: Set<NodeId>;
}

export class ReadOnly {
  private pending = new Map<string, PendingRead>();
  private queue: string[] = [];

  add(index: number, req: Message): void {
    const ctx = req.context ?? '';
    if (this.pending.has(ctx)) return;
    this.pending.set(ctx, { index, req, acks: new Set() });
    this.queue.push(ctx);
  }

  recvAck(from: NodeId, ctx: string): Set<NodeId> | undefined {
    const p = this.pending.get(ctx);
    if (!p) return undefined;
    p.acks.add(from);
    return p.acks;
  }

  /** Releases `ctx` and every request queued before it. */
  advance(ctx: string): PendingRead[] {
    const at = this.queue.indexOf(ctx);
    if (at < 0) return [];
    const done = this.queue.splice(0, at + 1);
    return done.map((c) => {
      const p = this.pending.get(c) as PendingRead;
      this.pending.delete(c);
      return p;
    });
  }

  lastPendingContext(): string | undefined {
    return this.queue.length > 0 ? this.queue[this.queue.length - 1] : undefined;
  }

  size(): number {
    return this.queue.length;
  }
}
