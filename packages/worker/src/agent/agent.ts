import type * as grpc from '@grpc/grpc-js';
import {
  leaderAddrOf,
  swarmServices,
  type MeshService,
  type TaskState,
  type Task,
  type TaskStatus,
} from '@flotilla/manager';
import type { Logger } from 'pino';
import { DependencyStore } from './dependencies';
import type { Executor } from './executor';
import { TaskRunner } from './task-runner';

export interface AgentOptions {
  /** Manager addresses (host:port) to try in order; the session's manager list replaces them. */
  managers: string[];
  credentials: grpc.ChannelCredentials;
  executor: Executor;
  log?: Logger;
  /** TLS server name the managers' certificates carry. */
  serverName?: string;
  /** How long to wait before trying the next manager. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Status reports are sent in batches at most this often. */
  statusBatchMs?: number;
  /** The cluster's ingress ports and running backends, whenever they change. */
  onMesh?: (view: MeshService[]) => void;
  /** The node's role as the leader's store has it, on every session message (promotion, demotion). */
  onRole?: (role: 'manager' | 'worker') => void;
  /** This node's mesh tunnel port, told to the manager with every new session (0: none). */
  meshTunnelPort?: () => Promise<number> | number;
}

/** An AssignmentChange as grpc-js decodes it (enums as names; kind TASK when an older manager sends none). */
interface Change {
  action: string;
  kind?: string;
  taskJson: Buffer;
  dependencyJson: Buffer;
}

const MAX_ASSIGNMENTS_BYTES = 512 * 2 ** 20;

const actionOf = (c: Change): 'UPDATE' | 'REMOVE' => (c.action === 'REMOVE' ? 'REMOVE' : 'UPDATE');

/** The Dispatcher calls the agent makes (grpc-js builds the client from proto/swarm.proto). */
type Client = grpc.Client & {
  Session(req: { descriptionJson: Buffer; meshTunnelPort: number }): grpc.ClientReadableStream<unknown>;
  Heartbeat(
    req: { sessionId: string },
    opts: grpc.CallOptions,
    cb: (err: grpc.ServiceError | null, r?: { periodMs: number }) => void,
  ): void;
  Assignments(req: { sessionId: string }): grpc.ClientReadableStream<unknown>;
  UpdateTaskStatus(
    req: { sessionId: string; updates: { taskId: string; statusJson: Buffer }[] },
    cb: (err: grpc.ServiceError | null) => void,
  ): void;
};

/**
 * The worker's side of the dispatcher protocol: keeps a session with a manager (the next one when
 * it dies), heartbeats, applies assignments through the executor, reports task status in batches.
 */
export class Agent {
  private readonly runners = new Map<string, TaskRunner>();
  /** Secrets and configs of this node's tasks, as the manager sent them (memory only). */
  readonly dependencies = new DependencyStore();
  private managers: string[];
  private client: Client | null = null;
  private sessionId: string | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private pending = new Map<string, TaskStatus>();
  private flushTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private attempt = 0;
  private streams: grpc.ClientReadableStream<unknown>[] = [];
  /** Where a follower said the leader is: tried next. */
  private redirect: string | null = null;
  private credentials: grpc.ChannelCredentials;
  connectedTo: string | null = null;

  constructor(private readonly o: AgentOptions) {
    this.managers = [...o.managers];
    this.credentials = o.credentials;
  }

  /** The managers this agent knows of (the leader's list once a session is open). */
  knownManagers(): string[] {
    return [...this.managers];
  }

  /** A renewed certificate (promotion, demotion): the session is opened again with it. */
  setCredentials(credentials: grpc.ChannelCredentials, managers?: string[]): void {
    this.credentials = credentials;
    if (managers?.length) this.managers = [...new Set([...managers, ...this.managers])];
    this.attempt = 0;
    if (this.stopped) return;
    this.teardown();
    void this.connect();
  }

  start(): void {
    // What a previous run left (a crashed daemon's secret mounts) goes before any task comes.
    void Promise.resolve(this.o.executor.init?.())
      .catch((e: Error) => this.o.log?.warn({ err: e.message }, 'could not clean up after the previous run'))
      .then(() => this.connect());
  }

  async stop(opts: { shutdownTasks?: boolean } = {}): Promise<void> {
    this.stopped = true;
    this.teardown();
    if (opts.shutdownTasks) await Promise.all([...this.runners.values()].map((r) => r.remove()));
    this.dependencies.clear();
    await this.o.executor.close?.().catch((e: Error) => this.o.log?.warn({ err: e.message }, 'executor close failed'));
  }

  /** Tasks this agent is running now (for tests and `node ps`-like views). */
  taskStates(): Map<string, TaskState> {
    return new Map([...this.runners].map(([id, r]) => [id, r.current]));
  }

  private teardown(): void {
    if (this.heartbeat) clearTimeout(this.heartbeat);
    this.heartbeat = null;
    for (const s of this.streams) s.cancel();
    this.streams = [];
    this.client?.close();
    this.client = null;
    this.sessionId = null;
    this.connectedTo = null;
  }

  private reconnect(why: string, leader: string | null = null): void {
    if (this.stopped) return;
    const from = this.connectedTo;
    this.teardown();
    const min = this.o.reconnectMinMs ?? 100;
    // A follower named the leader: go there at once (once; a stale name falls back to the list).
    if (leader && leader !== from && this.redirect === null) {
      this.o.log?.info({ manager: from, leader }, 'redirected to the leader');
      this.redirect = leader;
      if (!this.managers.includes(leader)) this.managers.push(leader);
      setTimeout(() => void this.connect(), 0).unref();
      return;
    }
    this.o.log?.warn({ manager: from, why }, 'session lost: trying the next manager');
    const delay = Math.min(this.o.reconnectMaxMs ?? 2000, min * 2 ** Math.min(this.attempt, 5));
    this.attempt++;
    setTimeout(() => void this.connect(), delay).unref();
  }

  private async connect(): Promise<void> {
    if (this.stopped || this.client) return;
    // In range: the list starts with the managers given (at least one) and is only ever added to.
    const addr = this.redirect ?? this.managers[this.attempt % this.managers.length]!;
    this.redirect = null;
    const { Dispatcher } = swarmServices();
    const client = new Dispatcher(addr, this.credentials, {
      // A COMPLETE assignment set carries the data of every secret and config (up to 500 KB and
      // 1000 KB each) of the node's tasks: far past grpc's 4 MB default.
      'grpc.max_receive_message_length': MAX_ASSIGNMENTS_BYTES,
      ...(this.o.serverName ? { 'grpc.ssl_target_name_override': this.o.serverName } : {}),
    }) as unknown as Client;
    this.client = client;
    this.connectedTo = addr;
    let description: unknown;
    let meshTunnelPort = 0;
    try {
      description = await this.o.executor.describe();
      meshTunnelPort = (await this.o.meshTunnelPort?.()) ?? 0;
    } catch (e) {
      this.reconnect(`cannot describe this node: ${(e as Error).message}`);
      return;
    }
    type SessionMsg = { sessionId: string; managers: { addr: string }[]; heartbeatPeriodMs: number; role?: string };
    const session = client.Session({
      descriptionJson: Buffer.from(JSON.stringify(description)),
      meshTunnelPort,
    }) as grpc.ClientReadableStream<SessionMsg>;
    this.streams.push(session);
    session.on('data', (m: SessionMsg) => {
      const first = this.sessionId === null;
      this.sessionId = m.sessionId;
      this.attempt = 0;
      const list = m.managers.map((x) => x.addr).filter(Boolean);
      if (list.length) this.managers = [...new Set([addr, ...list, ...this.o.managers])];
      if (m.role === 'manager' || m.role === 'worker') this.o.onRole?.(m.role);
      if (first) {
        this.beat(m.heartbeatPeriodMs);
        this.watchAssignments(client, m.sessionId);
        this.flush();
      }
    });
    session.on('error', (e: Error) => this.client === client && this.reconnect(e.message, leaderAddrOf(e)));
    session.on('end', () => this.client === client && this.reconnect('session ended'));
  }

  private beat(periodMs: number): void {
    const client = this.client;
    const sessionId = this.sessionId;
    if (!client || !sessionId) return;
    this.heartbeat = setTimeout(() => {
      client.Heartbeat(
        { sessionId },
        { deadline: Date.now() + periodMs * 2 },
        (err: grpc.ServiceError | null, r?: { periodMs: number }) => {
          if (this.client !== client) return;
          if (err) this.reconnect(`heartbeat failed: ${err.details || err.message}`);
          else this.beat(r?.periodMs || periodMs);
        },
      );
    }, periodMs);
    this.heartbeat.unref();
  }

  private watchAssignments(client: Client, sessionId: string): void {
    type Msg = { type: string; changes: Change[]; meshJson?: Buffer };
    const stream = client.Assignments({ sessionId }) as grpc.ClientReadableStream<Msg>;
    this.streams.push(stream);
    stream.on('data', (m: Msg) => {
      this.apply(m.type === 'COMPLETE', m.changes);
      if (m.meshJson?.length && this.o.onMesh) {
        try {
          this.o.onMesh(JSON.parse(Buffer.from(m.meshJson).toString('utf8')) as MeshService[]);
        } catch (e) {
          this.o.log?.warn({ err: e }, 'bad mesh view from manager');
        }
      }
    });
    stream.on('error', (e: Error) => this.client === client && this.reconnect(e.message));
  }

  private apply(complete: boolean, changes: Change[]): void {
    const seen = new Set<string>();
    const held = new Set<string>();
    for (const c of changes) {
      if (c.kind === 'SECRET' || c.kind === 'CONFIG') {
        try {
          held.add(this.dependencies.apply(c.kind === 'SECRET' ? 'secret' : 'config', actionOf(c), c.dependencyJson));
        } catch (e) {
          this.o.log?.warn({ err: (e as Error).message }, 'ignoring a dependency change');
        }
        continue;
      }
      let task: Task;
      try {
        task = JSON.parse(Buffer.from(c.taskJson).toString('utf8')) as Task;
      } catch {
        continue;
      }
      seen.add(task.ID);
      if (c.action === 'REMOVE') {
        const r = this.runners.get(task.ID);
        this.runners.delete(task.ID);
        void r?.remove();
        continue;
      }
      let r = this.runners.get(task.ID);
      if (!r) {
        // A task the manager believes has stopped and that we never ran: nothing to do but keep it known.
        const ctl = this.o.executor.controller(task, this.dependencies);
        r = new TaskRunner(task, ctl, (id, s) => this.queue(id, s), this.o.log);
        this.runners.set(task.ID, r);
      }
      r.update(task);
    }
    if (complete) {
      // The full set: anything else we hold or run is no longer ours.
      this.dependencies.retain(held);
      for (const [id, r] of this.runners) {
        if (seen.has(id)) continue;
        this.runners.delete(id);
        void r.remove();
      }
      void this.removeOrphans(seen);
    }
  }

  /**
   * Containers this node made for tasks the manager no longer has at all (deleted while this
   * node was down or its daemon stopped): nothing else would ever remove them.
   */
  private async removeOrphans(assigned: ReadonlySet<string>): Promise<void> {
    if (!this.o.executor.existingTaskIds) return;
    try {
      for (const id of await this.o.executor.existingTaskIds()) {
        if (assigned.has(id) || this.runners.has(id)) continue;
        this.o.log?.info({ task: id }, 'removing the container of a task the swarm no longer has');
        await this.o.executor.controller({ ID: id } as Task).remove();
      }
    } catch (e) {
      this.o.log?.warn({ err: (e as Error).message }, 'could not remove the containers of deleted tasks');
    }
  }

  private queue(taskId: string, status: TaskStatus): void {
    this.pending.set(taskId, status);
    if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => this.flush(), this.o.statusBatchMs ?? 5);
      this.flushTimer.unref();
    }
  }

  /** Sends everything queued in one call; on failure it stays queued for the next session. */
  private flush(): void {
    this.flushTimer = null;
    const client = this.client;
    const sessionId = this.sessionId;
    if (!client || !sessionId || this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const updates = [...batch].map(([taskId, s]) => ({ taskId, statusJson: Buffer.from(JSON.stringify(s)) }));
    client.UpdateTaskStatus({ sessionId, updates }, (err: grpc.ServiceError | null) => {
      if (!err) return;
      for (const [id, s] of batch) if (!this.pending.has(id)) this.pending.set(id, s);
      // The manager could not take them now (e.g. mid-election): try again shortly.
      if (!this.flushTimer) {
        this.flushTimer = setTimeout(() => this.flush(), 200);
        this.flushTimer.unref();
      }
    });
  }
}
