// A small synchronous cluster for unit and scenario tests: each node is a RawNode over a
// MemoryStorage whose Ready is handled in the contract's order; messages wait in a queue until
// delivered, so a test decides exactly what happens when.
import { RawNode } from '../core/raw-node';
import { MemoryStorage } from '../core/memory-storage';
import { decodeConfChange } from '../core/entries';
import {
  EntryType,
  type MessageType,
  type ConfState,
  type Entry,
  type Message,
  type NodeId,
  type RaftConfig,
  type ReadState,
} from '../types';

export interface ClusterNode {
  id: NodeId;
  raw: RawNode;
  storage: MemoryStorage;
  /** Normal entries applied (no-ops included), in order. */
  applied: Entry[];
  conf: ConfState;
  readStates: ReadState[];
}

export interface ClusterOptions {
  preVote?: boolean;
  checkQuorum?: boolean;
  electionTicks?: number;
  heartbeatTicks?: number;
  maxSizePerMsg?: number;
  maxInflightMsgs?: number;
  /** Election jitter; a constant keeps tests exact. */
  random?: () => number;
  parallelLeaderWrites?: boolean;
}

export class Cluster {
  readonly nodes = new Map<NodeId, ClusterNode>();
  /** Sent but not yet delivered. */
  queue: Message[] = [];
  /** Links that drop messages: "a->b". */
  readonly cut = new Set<string>();

  constructor(
    voters: NodeId[],
    private readonly opts: ClusterOptions = {},
  ) {
    for (const id of voters) this.addNode(id, MemoryStorage.bootstrap(voters));
  }

  config(id: NodeId): RaftConfig {
    return {
      id,
      electionTicks: this.opts.electionTicks ?? 10,
      heartbeatTicks: this.opts.heartbeatTicks ?? 1,
      preVote: this.opts.preVote ?? false,
      checkQuorum: this.opts.checkQuorum ?? false,
      maxSizePerMsg: this.opts.maxSizePerMsg ?? 1024 * 1024,
      maxInflightMsgs: this.opts.maxInflightMsgs ?? 256,
      random: this.opts.random ?? (() => 0),
      parallelLeaderWrites: this.opts.parallelLeaderWrites ?? false,
    };
  }

  /** Adds a node process over `storage` (empty for a joining node); replaces a crashed one. */
  addNode(id: NodeId, storage: MemoryStorage = new MemoryStorage()): ClusterNode {
    const snap = storage.snapshot();
    const n: ClusterNode = {
      id,
      raw: new RawNode(this.config(id), storage),
      storage,
      applied: [],
      conf: snap ? snap.meta.conf : { voters: [], learners: [] },
      readStates: [],
    };
    this.nodes.set(id, n);
    return n;
  }

  /** Restart from durable state: everything in memory (unsent messages, app state) is lost. */
  restart(id: NodeId): ClusterNode {
    const old = this.node(id);
    this.queue = this.queue.filter((m) => m.from !== id);
    return this.addNode(id, old.storage);
  }

  node(id: NodeId): ClusterNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  /** Handles every pending Ready of a node: persist, send (queue), apply, advance. */
  process(id: NodeId): void {
    const n = this.node(id);
    while (n.raw.hasReady()) {
      const rd = n.raw.ready();
      if (rd.messagesBeforePersist) this.queue.push(...rd.messagesBeforePersist);
      if (rd.snapshot) n.storage.applySnapshot(rd.snapshot);
      n.storage.append(rd.entries);
      if (rd.hardState) n.storage.setHardState(rd.hardState);
      this.queue.push(...rd.messages);
      if (rd.snapshot) n.conf = rd.snapshot.meta.conf;
      for (const e of rd.committedEntries) {
        if (e.type === EntryType.ConfChange) n.conf = n.raw.applyConfChange(decodeConfChange(e));
        else n.applied.push(e);
      }
      n.readStates.push(...rd.readStates);
      n.raw.advance(rd);
    }
  }

  processAll(): void {
    for (const id of this.nodes.keys()) this.process(id);
  }

  /** Delivers queued messages (optionally only those matching), returns how many were delivered. */
  deliver(filter?: (m: Message) => boolean): number {
    const take = filter ? this.queue.filter(filter) : this.queue;
    this.queue = filter ? this.queue.filter((m) => !filter(m)) : [];
    let n = 0;
    for (const m of take) {
      const to = this.nodes.get(m.to);
      if (!to || this.cut.has(`${m.from}->${m.to}`)) continue;
      to.raw.step(m);
      n++;
      this.process(m.to);
    }
    return n;
  }

  /** Processes and delivers until no message is left (bounded, to catch livelock). */
  stabilize(maxRounds = 1000): void {
    this.processAll();
    for (let i = 0; i < maxRounds; i++) {
      if (this.queue.length === 0) return;
      this.deliver();
      this.processAll();
    }
    throw new Error(`cluster did not stabilize in ${maxRounds} rounds`);
  }

  tick(id: NodeId, times = 1): void {
    for (let i = 0; i < times; i++) this.node(id).raw.tick();
    this.process(id);
  }

  campaign(id: NodeId): void {
    this.node(id).raw.campaign();
    this.process(id);
  }

  propose(id: NodeId, data: string): void {
    this.node(id).raw.propose(new TextEncoder().encode(data));
    this.process(id);
  }

  isolate(id: NodeId): void {
    for (const other of this.nodes.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}->${other}`);
      this.cut.add(`${other}->${id}`);
    }
  }

  heal(): void {
    this.cut.clear();
  }

  leader(): NodeId | null {
    for (const n of this.nodes.values()) if (n.raw.status().role === 'leader') return n.id;
    return null;
  }

  /** The application payloads a node applied, no-ops omitted. */
  appliedData(id: NodeId): string[] {
    return this.node(id)
      .applied.filter((e) => e.data.length > 0)
      .map((e) => new TextDecoder().decode(e.data));
  }

  pending(type?: MessageType): Message[] {
    return type ? this.queue.filter((m) => m.type === type) : this.queue.slice();
  }
}
