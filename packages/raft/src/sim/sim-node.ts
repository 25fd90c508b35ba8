// One simulated server: a RawNode over durable MemoryStorage, the key-value state machine it
// drives, and the client requests waiting on it. Crashing drops everything but the storage.
import { RawNode } from '../core/raw-node';
import type { MemoryStorage } from '../core/memory-storage';
import type { ConfState, NodeId, RaftConfig, Ready } from '../types';
import { KvStore } from './kv';

export interface PendingReady {
  rd: Ready;
  /** Micro-step at which the write is durable and the rest of the Ready is handled. */
  doneAt: number;
}

export class SimNode {
  raw: RawNode | null = null;
  kv = new KvStore();
  conf: ConfState = { voters: [], learners: [] };
  applied = 0;
  pending: PendingReady | null = null;
  /** Applied its own removal: the process was stopped for good. */
  removed = false;
  restarts = 0;

  constructor(
    readonly id: NodeId,
    readonly storage: MemoryStorage,
  ) {}

  get up(): boolean {
    return this.raw !== null;
  }

  start(config: RaftConfig): void {
    this.raw = new RawNode(config, this.storage);
    const snap = this.storage.snapshot();
    this.kv = snap ? KvStore.restore(snap.data) : new KvStore();
    this.conf = snap ? snap.meta.conf : { voters: [], learners: [] };
    this.applied = snap ? snap.meta.index : 0;
    this.pending = null;
  }

  stop(): void {
    this.raw = null;
    this.pending = null;
  }
}
