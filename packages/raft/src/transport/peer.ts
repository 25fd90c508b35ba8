// One outbound connection to a peer: a long-lived client stream carrying batches, a bounded queue
// (Raft tolerates loss, so a full queue drops rather than blocks), reconnect with exponential
// backoff, and snapshots on a separate call in chunks.
import type * as grpc from '@grpc/grpc-js';
import { type Logger } from '../log';
import { MessageType, type Message, type NodeId } from '../types';
import { raftService, type RaftServiceClient } from './proto';
import { toWire } from './wire';

export interface PeerOptions {
  id: NodeId;
  address: string;
  credentials: grpc.ChannelCredentials;
  queueLimit: number;
  snapshotChunkBytes: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  log: Logger;
  onUnreachable(peer: NodeId): void;
  onSnapshotStatus(peer: NodeId, ok: boolean): void;
}

export class Peer {
  private readonly client: RaftServiceClient;
  private stream: grpc.ClientWritableStream<unknown> | null = null;
  private queue: Message[] = [];
  private flushScheduled = false;
  private waitingDrain = false;
  private backoffMs: number;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private sendingSnapshot = false;
  dropped = 0;

  constructor(private readonly o: PeerOptions) {
    const Client = raftService();
    this.backoffMs = o.backoffMinMs;
    this.client = new Client(o.address, o.credentials, {
      // grpc-js defaults back off up to 120 s; a restarted manager must be reachable within a tick or two.
      'grpc.initial_reconnect_backoff_ms': o.backoffMinMs,
      'grpc.min_reconnect_backoff_ms': o.backoffMinMs,
      'grpc.max_reconnect_backoff_ms': o.backoffMaxMs,
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.keepalive_permit_without_calls': 1,
    }) as unknown as RaftServiceClient;
  }

  get address(): string {
    return this.o.address;
  }

  send(m: Message): void {
    if (this.closed) return;
    if (m.type === MessageType.Snapshot) {
      this.sendSnapshot(m);
      return;
    }
    if (this.queue.length >= this.o.queueLimit) {
      this.dropped++;
      return;
    }
    this.queue.push(m);
    this.scheduleFlush();
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.stream?.end();
    this.stream = null;
    this.queue = [];
    this.client.close();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.waitingDrain) return;
    this.flushScheduled = true;
    // Coalesce everything sent by the current Ready (sent synchronously) into one batch, without
    // waiting for the next turn of the event loop.
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.closed || this.queue.length === 0 || this.waitingDrain) return;
    const stream = this.stream ?? this.connect();
    if (!stream) return;
    const batch = this.queue;
    this.queue = [];
    const ok = stream.write({ messages: batch.map(toWire) });
    if (!ok) {
      this.waitingDrain = true;
      stream.once('drain', () => {
        this.waitingDrain = false;
        this.scheduleFlush();
      });
    }
  }

  private connect(): grpc.ClientWritableStream<unknown> | null {
    if (this.retryTimer) return null;
    const stream = this.client.Stream((err) => {
      if (this.stream === stream) this.stream = null;
      this.waitingDrain = false;
      if (this.closed) return;
      if (err) this.fail(err.details || err.message);
    });
    stream.on('error', () => {
      /* reported through the callback */
    });
    // The server sends headers as soon as it accepts the stream: the peer is up again.
    stream.on('metadata', () => {
      this.backoffMs = this.o.backoffMinMs;
    });
    this.stream = stream;
    return stream;
  }

  private fail(reason: string): void {
    this.o.log.debug({ peer: this.o.id, reason, backoffMs: this.backoffMs }, 'raft stream to peer failed');
    this.o.onUnreachable(this.o.id);
    // Whatever is queued is stale by the time we reconnect; Raft resends what matters.
    this.dropped += this.queue.length;
    this.queue = [];
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.scheduleFlush();
    }, this.backoffMs);
    this.retryTimer.unref();
    this.backoffMs = Math.min(this.backoffMs * 2, this.o.backoffMaxMs);
  }

  private sendSnapshot(m: Message): void {
    if (this.sendingSnapshot) return; // the core resends after it hears the outcome
    this.sendingSnapshot = true;
    const data = m.snapshot?.data ?? new Uint8Array(0);
    const done = (ok: boolean, reason?: string): void => {
      this.sendingSnapshot = false;
      if (!ok) this.o.log.warn({ peer: this.o.id, reason }, 'sending raft snapshot failed');
      this.o.onSnapshotStatus(this.o.id, ok);
      if (!ok) this.o.onUnreachable(this.o.id);
    };
    const call = this.client.SendSnapshot((err) => done(!err, err?.message));
    call.on('error', () => {
      /* reported through the callback */
    });
    const size = this.o.snapshotChunkBytes;
    let off = 0;
    const writeMore = (): void => {
      let first = off === 0;
      while (off < data.length || first) {
        const chunk = data.subarray(off, off + size);
        off += chunk.length;
        const ok = call.write(first ? { message: toWire(m), data: chunk } : { data: chunk });
        first = false;
        if (off >= data.length) break;
        if (!ok) {
          call.once('drain', writeMore);
          return;
        }
      }
      call.end();
    };
    writeMore();
  }
}
