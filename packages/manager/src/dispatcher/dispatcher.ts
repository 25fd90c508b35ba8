// The leader's side of worker sessions over gRPC: sessions, heartbeats, assignment streams and
// status reports. The rules live beside it (liveness, assignments, mesh-view, status-reports).
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { ChangeEvent } from '../store/state';
import type { Store } from '../store/store';
import type { Node } from '../store/types';
import { belongsToNode, foldChanges } from './assignments';
import { PermissionDeniedError } from './errors';
import { callerIdentity } from './identity';
import { Liveness } from './liveness';
import { meshView } from './mesh-view';
import { swarmServices } from './proto';
import { notLeaderStatus } from '../swarm/redirect';
import { nodeDescriptionSchema } from './node-description';
import { markNode } from './node-marks';
import { NodeAssignments } from './node-assignments';
import { StatusReports } from './status-reports';

export interface DispatcherOptions {
  clusterId: string;
  heartbeatPeriodMs?: number;
  /** The managers workers may fail over to, leader first. */
  managers: () => { nodeId: string; addr: string }[];
  /** Where the leader is when this manager is not (sent to workers so they go there). */
  leaderAddr?: () => string | null;
  now?: () => number;
  log?: Logger;
}

interface Session {
  id: string;
  nodeId: string;
  /** The Session stream and any Assignments streams: the session lives while one is open. */
  streams: Set<grpc.ServerWritableStream<unknown, unknown>>;
  assignmentStreams: Set<grpc.ServerWritableStream<unknown, unknown>>;
  pending: ChangeEvent<'tasks'>[];
  flushScheduled: boolean;
  /** The node's tasks and the secrets and configs they need, as its stream has them. */
  held: NodeAssignments;
}

const grpcError = (code: grpc.status, message: string) => Object.assign(new Error(message), { code });

/**
 * The leader's side of worker sessions: heartbeats (nodes that stop are marked down), assignment
 * streams (the whole set, then increments), and task status reports written to the store in
 * batches (one Raft entry per flush, not per report).
 */
export class Dispatcher {
  private readonly sessions = new Map<string, Session>();
  private readonly liveness: Liveness;
  private readonly period: number;
  private readonly now: () => number;
  private readonly reports: StatusReports;
  private timer: NodeJS.Timeout | null = null;
  private readonly onChange = (events: ChangeEvent[]) => {
    this.route(events);
    this.roleChanged(events);
    if (events.some((e) => e.table === 'services' || e.table === 'tasks')) this.meshChanged();
  };
  private meshJson = '[]';
  private meshScheduled = false;
  /** Mesh tunnel port per node, as each node's session reported it. */
  private readonly tunnelPorts = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly o: DispatcherOptions,
  ) {
    this.period = o.heartbeatPeriodMs ?? 1000;
    this.now = o.now ?? Date.now;
    this.liveness = new Liveness(this.period);
    this.reports = new StatusReports(store);
  }

  register(server: grpc.Server): void {
    server.addService(swarmServices().Dispatcher.service, {
      Session: (
        call: grpc.ServerWritableStream<
          { sessionId: string; descriptionJson: Buffer; meshTunnelPort?: number },
          unknown
        >,
      ) => this.session(call),
      Heartbeat: (call: grpc.ServerUnaryCall<{ sessionId: string }, unknown>, cb: grpc.sendUnaryData<unknown>) =>
        this.unary(call, cb, () => this.heartbeat(call)),
      Assignments: (call: grpc.ServerWritableStream<{ sessionId: string }, unknown>) => this.assignments(call),
      UpdateTaskStatus: (
        call: grpc.ServerUnaryCall<{ sessionId: string; updates: { taskId: string; statusJson: Buffer }[] }, unknown>,
        cb: grpc.sendUnaryData<unknown>,
      ) => this.unary(call, cb, () => this.updateStatus(call)),
    });
  }

  private started = false;

  start(): void {
    if (this.started) return;
    this.started = true;
    this.store.on('change', this.onChange);
    // A new leader knows nothing of the sessions the old one had: every node gets a grace period
    // to open one here, and is marked down if it does not (a dead manager's node included).
    const now = this.now();
    for (const n of this.store.state.list('nodes')) if (n.Status.State !== 'down') this.liveness.beat(n.ID, now);
    this.arm();
  }

  stop(): void {
    this.started = false;
    this.store.off('change', this.onChange);
    if (this.timer) clearTimeout(this.timer);
    for (const id of [...this.sessions.keys()]) this.endSession(id);
  }

  private unary<T>(
    call: grpc.ServerUnaryCall<unknown, unknown>,
    cb: grpc.sendUnaryData<unknown>,
    fn: () => T | Promise<T>,
  ): void {
    Promise.resolve()
      .then(fn)
      .then(
        (r) => cb(null, r),
        (e: Error & { code?: number }) => cb(grpcError(e.code ?? grpc.status.INVALID_ARGUMENT, e.message)),
      );
    void call;
  }

  private node(call: grpc.ServerWritableStream<unknown, unknown> | grpc.ServerUnaryCall<unknown, unknown>): string {
    return callerIdentity(call, this.o.clusterId).nodeId;
  }

  private sessionFor(nodeId: string, sessionId: string): Session {
    const s = this.sessions.get(nodeId);
    if (!s || s.id !== sessionId)
      throw Object.assign(new Error('session invalid: open a new session'), { code: grpc.status.NOT_FOUND });
    return s;
  }

  private session(
    call: grpc.ServerWritableStream<{ sessionId: string; descriptionJson: Buffer; meshTunnelPort?: number }, unknown>,
  ): void {
    if (!this.started) {
      // Not the leader (yet): the worker retries, and follows the manager list to the leader.
      // emit, not destroy: grpc-js sends the status (and its trailers) only for an emitted error.
      call.emit(
        'error',
        notLeaderStatus('this manager is not the leader; retry at the leader', this.o.leaderAddr?.() ?? null),
      );
      return;
    }
    let nodeId: string;
    let description: Node['Description'] | undefined;
    try {
      nodeId = this.node(call);
      if (call.request.descriptionJson?.length)
        description = nodeDescriptionSchema.parse(JSON.parse(call.request.descriptionJson.toString('utf8')));
    } catch (e) {
      call.emit(
        'error',
        grpcError(
          e instanceof PermissionDeniedError ? grpc.status.PERMISSION_DENIED : grpc.status.INVALID_ARGUMENT,
          (e as Error).message,
        ),
      );
      return;
    }
    this.endSession(nodeId); // a session opened again replaces the old one
    const session: Session = {
      id: randomUUID(),
      nodeId,
      streams: new Set([call]),
      assignmentStreams: new Set(),
      pending: [],
      flushScheduled: false,
      held: new NodeAssignments(nodeId, this.store),
    };
    this.sessions.set(nodeId, session);
    this.noteTunnelPort(nodeId, call.request.meshTunnelPort);
    this.liveness.beat(nodeId, this.now());
    this.arm();
    this.markReady(nodeId, description);
    call.write(this.sessionMessage(session));
    call.on('cancelled', () => this.closed(session, call));
    call.on('close', () => this.closed(session, call));
    call.on('error', () => this.closed(session, call));
  }

  private sessionMessage(session: Session): object {
    const role = this.store.state.get('nodes', session.nodeId)?.Spec.Role ?? '';
    return {
      sessionId: session.id,
      managers: this.o.managers().map((m) => ({ nodeId: m.nodeId, addr: m.addr })),
      heartbeatPeriodMs: this.period,
      role,
    };
  }

  /** A promoted or demoted node hears its new role on its session (it renews its certificate). */
  private roleChanged(events: ChangeEvent[]): void {
    for (const e of events) {
      if (e.table !== 'nodes') continue;
      const n = e as ChangeEvent<'nodes'>;
      if (!n.old || n.old.Spec.Role === n.object.Spec.Role) continue;
      const s = this.sessions.get(n.object.ID);
      const st = s && [...s.streams].find((x) => !s.assignmentStreams.has(x));
      if (s && st) st.write(this.sessionMessage(s));
    }
  }

  private closed(session: Session, call: grpc.ServerWritableStream<unknown, unknown>): void {
    session.streams.delete(call);
    session.assignmentStreams.delete(call);
    if (this.sessions.get(session.nodeId) === session && session.streams.size === 0) {
      this.sessions.delete(session.nodeId);
      this.liveness.disconnected(session.nodeId, this.now());
      this.arm();
    }
  }

  private heartbeat(call: grpc.ServerUnaryCall<{ sessionId: string }, unknown>): { periodMs: number } {
    const nodeId = this.node(call);
    this.sessionFor(nodeId, call.request.sessionId);
    this.liveness.beat(nodeId, this.now());
    // A live session means a ready node: if marking it so failed when the session opened (a lost
    // proposal), or a stale write undid it, the next heartbeat puts it right.
    const n = this.store.state.get('nodes', nodeId);
    if (n && n.Status.State !== 'ready') this.markReady(nodeId);
    return { periodMs: this.period };
  }

  private readonly readying = new Set<string>();

  /**
   * Marks the node ready; a failure is left to the next heartbeat. The heartbeats' repairs keep one
   * write in flight per node; a new session's (with its description) always goes ahead.
   */
  private markReady(nodeId: string, description?: Node['Description']): void {
    if (!description && this.readying.has(nodeId)) return;
    this.readying.add(nodeId);
    markNode(this.store, nodeId, 'ready', description)
      .catch((e: Error) => this.o.log?.warn({ err: e, node: nodeId }, 'cannot mark node ready'))
      .finally(() => this.readying.delete(nodeId));
  }

  private assignments(call: grpc.ServerWritableStream<{ sessionId: string }, unknown>): void {
    let session: Session;
    try {
      session = this.sessionFor(this.node(call), call.request.sessionId);
    } catch (e) {
      call.emit(
        'error',
        grpcError((e as { code?: number }).code ?? grpc.status.PERMISSION_DENIED, (e as Error).message),
      );
      return;
    }
    session.streams.add(call);
    session.assignmentStreams.add(call);
    call.on('cancelled', () => this.closed(session, call));
    call.on('close', () => this.closed(session, call));
    const tasks = this.store.state.list('tasks').filter((t) => belongsToNode(t, session.nodeId));
    this.meshJson = JSON.stringify(meshView(this.store.state, this.tunnelPorts));
    call.write({ type: 'COMPLETE', changes: session.held.complete(tasks), meshJson: Buffer.from(this.meshJson) });
  }

  /** A node's tunnel port changes every other node's way to its tasks. */
  private noteTunnelPort(nodeId: string, port: number | undefined): void {
    const p = Number.isInteger(port) && port! > 0 && port! <= 65535 ? port! : 0;
    if ((this.tunnelPorts.get(nodeId) ?? 0) === p) return;
    if (p) this.tunnelPorts.set(nodeId, p);
    else this.tunnelPorts.delete(nodeId);
    this.meshChanged();
  }

  /** Every node's mesh hears of ingress ports and running backends as soon as they change. */
  private meshChanged(): void {
    if (this.meshScheduled) return;
    this.meshScheduled = true;
    setImmediate(() => {
      this.meshScheduled = false;
      const json = JSON.stringify(meshView(this.store.state, this.tunnelPorts));
      if (json === this.meshJson) return;
      this.meshJson = json;
      const msg = { type: 'INCREMENTAL', changes: [], meshJson: Buffer.from(json) };
      for (const s of this.sessions.values()) for (const st of s.assignmentStreams) st.write(msg);
    });
  }

  private route(events: ChangeEvent[]): void {
    for (const e of events) {
      if (e.table !== 'tasks') continue;
      const t = e as ChangeEvent<'tasks'>;
      for (const nodeId of new Set([t.object.NodeID, t.old?.NodeID])) {
        const s = nodeId ? this.sessions.get(nodeId) : undefined;
        if (!s) continue;
        s.pending.push(t);
        if (!s.flushScheduled) {
          s.flushScheduled = true;
          setImmediate(() => this.flushAssignments(s));
        }
      }
    }
  }

  private flushAssignments(s: Session): void {
    s.flushScheduled = false;
    const delta = foldChanges(s.pending, s.nodeId);
    s.pending = [];
    if (!delta.update.length && !delta.remove.length) return;
    const msg = { type: 'INCREMENTAL', changes: s.held.incremental(delta) };
    for (const st of s.assignmentStreams) st.write(msg);
  }

  private async updateStatus(
    call: grpc.ServerUnaryCall<{ sessionId: string; updates: { taskId: string; statusJson: Buffer }[] }, unknown>,
  ): Promise<object> {
    const nodeId = this.node(call);
    this.sessionFor(nodeId, call.request.sessionId);
    this.liveness.beat(nodeId, this.now());
    this.reports.add(nodeId, call.request.updates ?? []);
    await this.reports.flush();
    return {};
  }

  /**
   * Ends a node's session: on stop, when it opens a new one, and when it is marked down (as in
   * swarmkit: one that was only slow, its heartbeats late and its stream still open, hears
   * NOT_FOUND on its next heartbeat and opens a new session, which marks it ready again; kept, it
   * would beat on while Down for good).
   */
  private endSession(nodeId: string): void {
    const s = this.sessions.get(nodeId);
    if (!s) return;
    this.sessions.delete(nodeId);
    for (const st of s.streams) st.end();
  }

  /**
   * Marks an expired node down. Liveness has forgotten it, so a failed write (a lost proposal) is
   * retried here every period until it takes or the node opens a new session; otherwise a dead
   * node would stay Ready in the store.
   */
  private markDown(nodeId: string): void {
    markNode(this.store, nodeId, 'down').catch((e: Error) => {
      this.o.log?.warn({ err: e.message, node: nodeId }, 'cannot mark node down: retrying');
      setTimeout(() => {
        if (this.started && !this.sessions.has(nodeId)) this.markDown(nodeId);
      }, this.period).unref();
    });
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    const next = this.liveness.nextDeadline();
    if (next === null) return;
    this.timer = setTimeout(
      () => {
        for (const id of this.liveness.expired(this.now())) {
          this.liveness.forget(id);
          this.o.log?.warn({ node: id }, 'node missed its heartbeats: marking it down');
          this.endSession(id);
          this.markDown(id);
        }
        this.arm();
      },
      Math.max(1, next - this.now() + 1),
    );
    this.timer.unref();
  }
}
