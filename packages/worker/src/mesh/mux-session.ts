// One multiplexed tunnel between two nodes: many proxied connections (streams) over one TLS
// connection. Each stream has a credit window per direction (the sender stops reading its socket
// when the receiver has not passed the bytes on yet), half-close (FIN) and reset (RST), so a
// stream behaves like the TCP connection it carries and one slow client never stalls the others.
import type net from 'node:net';
import {
  encodeCredit,
  encodeFrame,
  type Frame,
  FrameReader,
  FrameType,
  MAX_PAYLOAD,
  MuxProtocolError,
} from './mux-frame';
import { decodeRequest, encodeRequest, type TunnelRequest, TunnelStatus } from './tunnel-header';

/** Bytes a stream may have in flight per direction before the sender waits for credit. */
export const STREAM_WINDOW = 512 * 1024;
/** Credit is returned once this much is passed on (a quarter window: the sender never stalls on it). */
const CREDIT_BATCH = STREAM_WINDOW / 4;

function noop(): void {}

function statusText(status: number): string {
  if (status === TunnelStatus.REFUSED) return 'the task refused the connection';
  if (status === TunnelStatus.UNKNOWN_TASK) return 'the node does not run this task';
  return 'the node did not understand the request';
}

/** A proxied connection inside a MuxSession. */
export class MuxStream {
  private socket: net.Socket | undefined;
  private credit = STREAM_WINDOW;
  private waitingForCredit = false;
  private unacked = 0;
  private early: Buffer[] = [];
  private earlyFin = false;
  private sentFin = false;
  private gotFin = false;
  closed = false;
  private onClosed: (() => void) | undefined;

  constructor(
    private readonly session: MuxSession,
    readonly id: number,
  ) {}

  /** Splices a socket (paused, allowHalfOpen) to this stream; `onClosed` runs once when it is over. */
  attach(socket: net.Socket, onClosed?: () => void): void {
    this.onClosed = onClosed;
    if (this.closed) {
      socket.resetAndDestroy();
      onClosed?.();
      return;
    }
    this.socket = socket;
    socket.on('error', noop);
    socket.on('data', (chunk: Buffer) => {
      for (let at = 0; at < chunk.length; at += MAX_PAYLOAD)
        this.session.send(encodeFrame(FrameType.DATA, this.id, chunk.subarray(at, at + MAX_PAYLOAD)));
      this.credit -= chunk.length;
      if (this.credit <= 0 && !this.waitingForCredit) {
        this.waitingForCredit = true;
        socket.pause();
      }
    });
    socket.on('end', () => {
      this.sentFin = true;
      if (!this.closed) this.session.send(encodeFrame(FrameType.FIN, this.id));
    });
    socket.on('close', () => this.finish(!(this.sentFin && this.gotFin)));
    for (const b of this.early) this.deliver(b);
    this.early = [];
    if (this.earlyFin) socket.end();
    socket.resume();
  }

  /** A frame for this stream from the peer. */
  onFrame(f: Frame): void {
    switch (f.type) {
      case FrameType.DATA:
        if (this.socket) this.deliver(f.payload);
        else this.early.push(f.payload);
        return;
      case FrameType.FIN:
        this.gotFin = true;
        if (this.socket) this.socket.end();
        else this.earlyFin = true;
        return;
      case FrameType.CREDIT:
        this.credit += f.payload.length === 4 ? f.payload.readUInt32BE(0) : 0;
        if (this.credit > 0 && this.waitingForCredit) {
          this.waitingForCredit = false;
          this.socket?.resume();
        }
        return;
      case FrameType.RST:
        this.reset(false);
        return;
    }
  }

  private deliver(payload: Buffer): void {
    const n = payload.length;
    // Credit goes back once the bytes are handed to the kernel: the window bounds what waits here.
    this.socket!.write(payload, () => {
      this.unacked += n;
      // Credit in batches: a request/response exchange of a few bytes then costs no extra frames.
      if (this.unacked >= CREDIT_BATCH) this.session.creditLater(this);
    });
  }

  /** The credit owed to the peer, taken (the session sends it batched). */
  takeCredit(): number {
    const n = this.unacked;
    this.unacked = 0;
    return this.closed ? 0 : n;
  }

  /** Aborts the stream: the socket is reset; `tell` sends RST to the peer. */
  reset(tell = true): void {
    if (this.closed) return;
    if (tell) this.session.send(encodeFrame(FrameType.RST, this.id));
    this.closed = true;
    this.session.forget(this.id);
    const s = this.socket;
    if (s && !s.destroyed) s.resetAndDestroy();
    if (!s) this.onClosed?.();
  }

  private finish(abnormal: boolean): void {
    if (!this.closed) {
      this.closed = true;
      this.session.forget(this.id);
      if (abnormal) this.session.send(encodeFrame(FrameType.RST, this.id));
    }
    const cb = this.onClosed;
    this.onClosed = undefined;
    cb?.();
  }
}

type OpenCallback = (stream: MuxStream | undefined, why?: string) => void;
/** Server side: a peer asks for a stream to a task; answer with accept or refuse. */
export type OpenHandler = (
  request: TunnelRequest,
  accept: (socket: net.Socket) => void,
  refuse: (status: TunnelStatus) => void,
  stream: MuxStream,
) => void;

/** One TLS connection carrying streams. The client opens streams (odd IDs); the server answers. */
export class MuxSession {
  private readonly streams = new Map<number, MuxStream>();
  private readonly pending = new Map<number, { cb: OpenCallback; timer: NodeJS.Timeout }>();
  private readonly reader = new FrameReader();
  private nextId = 1;
  private out: Buffer[] = [];
  private outScheduled = false;
  private owed = new Set<MuxStream>();
  private creditScheduled = false;
  closed = false;
  private closeListeners: (() => void)[] = [];

  constructor(
    private readonly socket: net.Socket,
    private readonly onOpen?: OpenHandler,
  ) {
    socket.on('data', (d: Buffer) => this.feed(d));
    socket.on('error', noop);
    socket.on('close', () => this.close('the tunnel connection closed'));
    socket.on('end', () => socket.end());
  }

  get size(): number {
    return this.streams.size + this.pending.size;
  }

  onClose(fn: () => void): void {
    if (this.closed) fn();
    else this.closeListeners.push(fn);
  }

  /** Bytes that arrived on the connection (the server passes those that followed the preface). */
  feed(d: Buffer): void {
    if (this.closed) return;
    let frames: Frame[];
    try {
      frames = this.reader.push(d);
    } catch (e) {
      this.close(e instanceof MuxProtocolError ? e.message : String(e));
      return;
    }
    for (const f of frames) this.dispatch(f);
  }

  private dispatch(f: Frame): void {
    if (f.type === FrameType.OPEN) {
      this.accept(f);
      return;
    }
    if (f.type === FrameType.RESULT) {
      const p = this.pending.get(f.stream);
      if (!p) return;
      this.pending.delete(f.stream);
      clearTimeout(p.timer);
      const status = f.payload[0] ?? TunnelStatus.BAD_HEADER;
      if (status !== TunnelStatus.OK) {
        p.cb(undefined, statusText(status));
        return;
      }
      const st = new MuxStream(this, f.stream);
      this.streams.set(f.stream, st);
      p.cb(st);
      return;
    }
    // Frames for a stream already gone (a reset crossing a frame in flight) are dropped.
    this.streams.get(f.stream)?.onFrame(f);
  }

  private accept(f: Frame): void {
    if (!this.onOpen || this.streams.has(f.stream)) {
      this.close('unexpected mux OPEN frame');
      return;
    }
    let req: TunnelRequest;
    try {
      const r = decodeRequest(f.payload);
      if (r === 'more') throw new Error('short');
      req = r.request;
    } catch {
      this.send(encodeFrame(FrameType.RESULT, f.stream, Buffer.from([TunnelStatus.BAD_HEADER])));
      return;
    }
    const st = new MuxStream(this, f.stream);
    this.streams.set(f.stream, st);
    let answered = false;
    this.onOpen(
      req,
      (socket) => {
        if (answered) return;
        answered = true;
        if (st.closed) {
          socket.destroy();
          return;
        }
        this.send(encodeFrame(FrameType.RESULT, f.stream, Buffer.from([TunnelStatus.OK])));
        st.attach(socket);
      },
      (status) => {
        if (answered) return;
        answered = true;
        if (st.closed) return;
        st.closed = true;
        this.forget(f.stream);
        this.send(encodeFrame(FrameType.RESULT, f.stream, Buffer.from([status])));
      },
      st,
    );
  }

  /** Client side: opens a stream to a task on the peer node; calls back once with it or the reason. */
  open(req: TunnelRequest, timeoutMs: number, cb: OpenCallback): void {
    if (this.closed) {
      cb(undefined, 'the tunnel connection closed');
      return;
    }
    let payload: Buffer;
    try {
      payload = encodeRequest(req);
    } catch (e) {
      cb(undefined, (e as Error).message);
      return;
    }
    const id = this.nextId;
    this.nextId += 2;
    const timer = setTimeout(() => {
      if (!this.pending.delete(id)) return;
      this.send(encodeFrame(FrameType.RST, id));
      cb(undefined, 'no answer in time');
    }, timeoutMs);
    this.pending.set(id, { cb, timer });
    this.send(encodeFrame(FrameType.OPEN, id, payload));
  }

  /** Frames written in one go per tick: fewer TLS records and syscalls. */
  send(frame: Buffer): void {
    if (this.closed) return;
    this.out.push(frame);
    if (this.outScheduled) return;
    this.outScheduled = true;
    process.nextTick(() => {
      this.outScheduled = false;
      const out = this.out;
      this.out = [];
      if (!this.closed && out.length) this.socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
    });
  }

  creditLater(st: MuxStream): void {
    this.owed.add(st);
    if (this.creditScheduled) return;
    this.creditScheduled = true;
    setImmediate(() => {
      this.creditScheduled = false;
      for (const s of this.owed) {
        const n = s.takeCredit();
        if (n > 0) this.send(encodeCredit(s.id, n));
      }
      this.owed.clear();
    });
  }

  forget(id: number): void {
    this.streams.delete(id);
  }

  /** Ends the connection: every stream is reset, every pending open fails. */
  close(why = 'the tunnel was closed'): void {
    if (this.closed) return;
    this.closed = true;
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.cb(undefined, why);
    }
    this.pending.clear();
    for (const st of [...this.streams.values()]) st.reset(false);
    this.streams.clear();
    this.socket.destroy();
    for (const fn of this.closeListeners.splice(0)) fn();
  }
}
