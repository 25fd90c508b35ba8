// The Raft transport over gRPC: a server receiving batches and snapshot chunks, and one Peer per
// remote member. Credentials are injected so mutual TLS is a constructor argument, not a rewrite.
import * as grpc from '@grpc/grpc-js';
import { silentLogger, type Logger } from '../log';
import { type Message, type NodeId } from '../types';
import { coalesce } from './coalesce';
import { InvalidRaftMessageError, TransportClosedError } from './errors';
import { Peer } from './peer';
import { raftService } from './proto';
import { fromWire } from './wire';

export interface TransportHandler {
  /** A validated message addressed to this node. */
  onMessage(m: Message): void;
  /** The stream to `peer` broke: the core should stop pipelining to it (etcd's ReportUnreachable). */
  onUnreachable(peer: NodeId): void;
  /** A snapshot to `peer` was delivered (ok) or failed (etcd's ReportSnapshot). */
  onSnapshotStatus(peer: NodeId, ok: boolean): void;
}

export interface GrpcTransportOptions {
  id: NodeId;
  /** host:port to listen on; port 0 picks a free one (see start()). Ignored with `server`. */
  listen: string;
  /**
   * Register the Raft service on this server instead of creating one (managers serve Raft, the
   * dispatcher and the CA on one port). Pass it before the server is bound; the caller binds and
   * shuts it down.
   */
  server?: grpc.Server;
  serverCredentials?: grpc.ServerCredentials;
  channelCredentials?: grpc.ChannelCredentials;
  /** Messages queued per peer before new ones are dropped. */
  queueLimit?: number;
  snapshotChunkBytes?: number;
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** Largest snapshot accepted from a peer. */
  maxSnapshotBytes?: number;
  /**
   * Checks the caller of every incoming call (e.g. that its certificate is a manager's); throwing
   * refuses the call with PERMISSION_DENIED. On a shared server this is what keeps workers out.
   */
  authorize?: (call: grpc.ServerReadableStream<unknown, unknown>) => void;
  log?: Logger;
}

export class GrpcTransport {
  private readonly server: grpc.Server;
  private readonly ownServer: boolean;
  private readonly peers = new Map<NodeId, Peer>();
  private readonly log: Logger;
  private handler: TransportHandler | null = null;
  private stopped = false;
  private boundPort = 0;

  constructor(private readonly o: GrpcTransportOptions) {
    this.log = o.log ?? silentLogger;
    this.ownServer = !o.server;
    this.server = o.server ?? new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
    const guarded =
      (fn: (call: grpc.ServerReadableStream<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => void) =>
      (call: grpc.ServerReadableStream<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        try {
          o.authorize?.(call);
        } catch (e) {
          call.resume();
          cb(Object.assign(new Error((e as Error).message), { code: grpc.status.PERMISSION_DENIED }));
          return;
        }
        fn(call, cb);
      };
    this.server.addService(raftService().service, {
      Stream: guarded((call, cb) => this.onStream(call, cb)),
      SendSnapshot: guarded((call, cb) => this.onSnapshot(call, cb)),
    });
  }

  /** Binds the server (unless it was given); resolves with the bound port (0 for a given server). */
  async start(handler: TransportHandler): Promise<number> {
    if (this.stopped) throw new TransportClosedError();
    this.handler = handler;
    if (!this.ownServer) return 0;
    const creds = this.o.serverCredentials ?? grpc.ServerCredentials.createInsecure();
    this.boundPort = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(this.o.listen, creds, (err, port) => (err ? reject(err) : resolve(port)));
    });
    return this.boundPort;
  }

  get port(): number {
    return this.boundPort;
  }

  addPeer(id: NodeId, address: string): void {
    if (this.stopped || id === this.o.id) return;
    const cur = this.peers.get(id);
    if (cur && cur.address === address) return;
    cur?.close();
    this.peers.set(
      id,
      new Peer({
        id,
        address,
        credentials: this.o.channelCredentials ?? grpc.credentials.createInsecure(),
        queueLimit: this.o.queueLimit ?? 4096,
        snapshotChunkBytes: this.o.snapshotChunkBytes ?? 1024 * 1024,
        backoffMinMs: this.o.backoffMinMs ?? 20,
        backoffMaxMs: this.o.backoffMaxMs ?? 1000,
        log: this.log,
        onUnreachable: (p) => this.handler?.onUnreachable(p),
        onSnapshotStatus: (p, ok) => this.handler?.onSnapshotStatus(p, ok),
      }),
    );
  }

  removePeer(id: NodeId): void {
    this.peers.get(id)?.close();
    this.peers.delete(id);
  }

  hasPeer(id: NodeId): boolean {
    return this.peers.has(id);
  }

  /** Fire and forget: messages to unknown peers or beyond a full queue are dropped. */
  send(messages: readonly Message[]): void {
    for (const m of coalesce(messages)) {
      const p = this.peers.get(m.to);
      if (p) p.send(m);
      else this.log.debug({ to: m.to, type: m.type }, 'no address for raft peer; dropping message');
    }
  }

  droppedCount(): number {
    let n = 0;
    for (const p of this.peers.values()) n += p.dropped;
    return n;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const p of this.peers.values()) p.close();
    this.peers.clear();
    this.handler = null;
    if (!this.ownServer) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 200);
      this.server.tryShutdown(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  private deliver(raw: unknown, snapshotData?: Uint8Array): void {
    let m: Message;
    try {
      m = fromWire(raw, snapshotData);
    } catch (e) {
      if (e instanceof InvalidRaftMessageError) {
        this.log.warn({ err: e.message }, 'dropping malformed raft message');
        return;
      }
      throw e;
    }
    if (m.to !== this.o.id) {
      this.log.warn({ to: m.to, from: m.from }, 'raft message addressed to another node; dropping it');
      return;
    }
    this.handler?.onMessage(m);
  }

  private onStream(call: grpc.ServerReadableStream<unknown, unknown>, cb: grpc.sendUnaryData<unknown>): void {
    // Headers now, so the client knows the stream is accepted and can reset its backoff.
    call.sendMetadata(new grpc.Metadata());
    call.on('data', (batch: { messages?: unknown[] }) => {
      if (this.stopped) return;
      for (const raw of batch.messages ?? []) this.deliver(raw);
    });
    call.on('end', () => cb(null, {}));
    call.on('error', () => {
      /* the client went away; nothing to answer */
    });
  }

  private onSnapshot(call: grpc.ServerReadableStream<unknown, unknown>, cb: grpc.sendUnaryData<unknown>): void {
    let header: unknown = null;
    const chunks: Uint8Array[] = [];
    let size = 0;
    let failed = false;
    const limit = this.o.maxSnapshotBytes ?? 1024 * 1024 * 1024;
    call.on('data', (c: { message?: unknown; data?: Uint8Array }) => {
      if (failed) return;
      if (header === null) {
        if (!c.message) {
          failed = true;
          cb({ code: grpc.status.INVALID_ARGUMENT, details: 'first snapshot chunk must carry the Snapshot message' });
          return;
        }
        header = c.message;
      }
      if (c.data && c.data.length > 0) {
        size += c.data.length;
        if (size > limit) {
          failed = true;
          cb({ code: grpc.status.RESOURCE_EXHAUSTED, details: `snapshot larger than ${limit} bytes` });
          return;
        }
        chunks.push(c.data);
      }
    });
    call.on('end', () => {
      if (failed) return;
      if (header === null) {
        cb({ code: grpc.status.INVALID_ARGUMENT, details: 'empty snapshot stream' });
        return;
      }
      this.deliver(header, new Uint8Array(Buffer.concat(chunks)));
      cb(null, {});
    });
    call.on('error', () => {
      failed = true;
    });
  }
}
