// The fast data path: the same proxying as splice.ts, but on Node's libuv TCP handles directly
// (the layer under net.Socket). A connection then costs a handful of syscalls and two small
// objects instead of two stream objects with their state machines and listeners, which is what
// a connection-per-request load spends its time on. The handles are Node internals
// (process.binding), so everything is feature-checked at load and the mesh falls back to
// splice.ts when they are missing or different.
import net from 'node:net';
import { types } from 'node:util';
import type { BackendPool, BackendSlot } from './pool';
import { proxyConnection } from './splice';
import type { TunnelDialer } from './tunnel-client';

/* eslint-disable @typescript-eslint/no-explicit-any -- untyped Node internals, checked in loadBindings */
interface Bindings {
  TCP: any;
  TCPConnectWrap: any;
  WriteWrap: any;
  ShutdownWrap: any;
  SOCKET: number;
  state: Int32Array;
  kReadBytesOrError: number;
  kArrayBufferOffset: number;
  kLastWriteWasAsync: number;
  UV_EOF: number;
}

function loadBindings(): Bindings | undefined {
  try {
    const binding = (process as unknown as { binding(name: string): any }).binding;
    // process.binding warns only under --pending-deprecation (DEP0111, documentation-only otherwise).
    const tcp = binding('tcp_wrap');
    const stream = binding('stream_wrap');
    const uv = binding('uv');
    const proto = tcp.TCP?.prototype;
    const ok =
      typeof tcp.TCPConnectWrap === 'function' &&
      typeof stream.WriteWrap === 'function' &&
      typeof stream.ShutdownWrap === 'function' &&
      types.isInt32Array(stream.streamBaseState) && // not instanceof: jest runs us in another realm
      typeof tcp.constants?.SOCKET === 'number' &&
      typeof uv.UV_EOF === 'number' &&
      [
        'connect',
        'connect6',
        'useUserBuffer',
        'readStart',
        'readStop',
        'writeBuffer',
        'shutdown',
        'close',
        'reset',
        'setNoDelay',
      ].every((m) => typeof proto?.[m] === 'function');
    if (!ok) return undefined;
    return {
      TCP: tcp.TCP,
      TCPConnectWrap: tcp.TCPConnectWrap,
      WriteWrap: stream.WriteWrap,
      ShutdownWrap: stream.ShutdownWrap,
      SOCKET: tcp.constants.SOCKET,
      state: stream.streamBaseState,
      kReadBytesOrError: stream.kReadBytesOrError,
      kArrayBufferOffset: stream.kArrayBufferOffset,
      kLastWriteWasAsync: stream.kLastWriteWasAsync,
      UV_EOF: uv.UV_EOF,
    };
  } catch {
    return undefined;
  }
}

const B = loadBindings();

/** True when the fast path can run on this Node; otherwise the mesh uses net.Socket. */
export const rawAvailable = B !== undefined;

/**
 * Each direction reads into its own buffer of this size (HAProxy's default bufsize) instead of
 * a fresh 64 KiB allocation per read; the buffers are recycled across connections.
 */
const BUFFER_SIZE = 16 * 1024;
const MAX_SPARE_BUFFERS = 1024;
const spareBuffers: Buffer[] = [];

function takeBuffer(): Buffer {
  return spareBuffers.pop() ?? Buffer.allocUnsafeSlow(BUFFER_SIZE);
}
/** A replica that neither accepts nor refuses (its network is gone) is given up after this long. */
const CONNECT_TIMEOUT_MS = 3000;

type Handle = any;

/** Connects in progress, swept by one timer rather than a timer per connection. */
const connecting = new Set<Pair>();
let sweeper: NodeJS.Timeout | undefined;

function sweep(): void {
  const now = Date.now();
  for (const p of connecting) if (now - p.started > CONNECT_TIMEOUT_MS) p.connectFailed();
  if (connecting.size === 0 && sweeper) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

function onWriteDone(this: any, status: number): void {
  (this.dir as Direction).writeDone(status);
}

function onShutdownDone(this: any, status: number): void {
  (this.dir as Direction).shutdownDone(status);
}

function onRead(this: any): void {
  (this.dir as Direction).read();
}

/**
 * One direction of a pair: bytes read from `from` into `buf` are written to `to`. At most one
 * write is outstanding: while libuv still holds `buf` (a write it could not finish at once),
 * reading stops, which is also the backpressure.
 */
class Direction {
  /** EOF read and the shutdown of `to` sent. */
  ended = false;
  shutDown = false;
  /** A shutdown of `to` is in flight: `to` cannot be reset until it completes (see closeHandle). */
  shutting = false;
  buf: Buffer | undefined;
  req: Handle = null;

  constructor(
    readonly pair: Pair,
    readonly from: Handle,
    readonly to: Handle,
  ) {}

  start(): void {
    this.from.dir = this;
    this.from.onread = onRead;
    this.buf = takeBuffer();
    this.from.useUserBuffer(this.buf);
    if (this.from.readStart()) this.pair.fail();
  }

  read(): void {
    const b = B as Bindings;
    const nread = b.state[b.kReadBytesOrError] as number;
    if (nread > 0) {
      if (this.pair.closed) return;
      // One write request object per direction, reused: at most one write is outstanding.
      let req = this.req;
      if (!req) {
        req = this.req = new b.WriteWrap();
        req.handle = this.to;
        req.oncomplete = onWriteDone;
        req.dir = this;
        req.buffer = null;
      }
      const err = this.to.writeBuffer(req, (this.buf as Buffer).subarray(0, nread));
      if (err) {
        this.pair.fail();
        return;
      }
      if (b.state[b.kLastWriteWasAsync]) {
        // The rest waits in libuv, pointing into buf: keep buf alive and read nothing more
        // until it is written.
        req.buffer = this.buf;
        if (this.from.readStop()) this.pair.fail();
      }
      return;
    }
    if (nread === 0) return;
    if (nread === b.UV_EOF) {
      this.ended = true;
      const other = this.pair.other(this);
      if (other.shutDown && this.to.writeQueueSize === 0 && this.from.writeQueueSize === 0) {
        // Both peers have said FIN and nothing is queued: close now. close() still sends the
        // bytes in the kernel's buffers and a FIN; it saves a shutdown per connection.
        this.pair.close(false);
        return;
      }
      // Half-close: the peer will send no more; pass the FIN on once queued bytes are out.
      const req = new b.ShutdownWrap();
      req.handle = this.to;
      req.oncomplete = onShutdownDone;
      req.dir = this;
      if (this.to.shutdown(req)) this.pair.fail();
      else this.shutting = true;
      return;
    }
    this.pair.fail(); // ECONNRESET and friends
  }

  writeDone(status: number): void {
    if (status < 0) {
      this.pair.fail();
      return;
    }
    if (!this.pair.closed && !this.ended && this.from.readStart()) this.pair.fail();
  }

  shutdownDone(status: number): void {
    this.shutting = false;
    if (status < 0) {
      this.pair.fail();
      return;
    }
    this.shutDown = true;
    this.pair.maybeDone();
  }

  /** After the handles are closed (no read can land in buf any more). */
  release(): void {
    const buf = this.buf;
    this.buf = undefined;
    // close() has stopped reading and cancelled any write still queued (libuv touches its bytes
    // no more), so the buffer can serve another connection.
    if (buf && spareBuffers.length < MAX_SPARE_BUFFERS) spareBuffers.push(buf);
  }
}

function noop(): void {}

/**
 * Never pass reset for a handle with a shutdown in flight: libuv refuses to reset it (EINVAL),
 * yet Node marks the handle closing all the same, so the close() after it does nothing. The
 * socket then stays open for good, and at exit Node waits for that handle in a busy loop.
 */
function closeHandle(h: Handle, reset: boolean): void {
  h.onread = noop;
  // No close callback: it would cost a call into JS per socket for nothing.
  if (!reset || h.reset(noop)) h.close();
}

/** A client connection and its backend connection. */
class Pair {
  upstream: Handle = null;
  slot: BackendSlot | undefined;
  tried: BackendSlot[] | undefined;
  started = 0;
  closed = false;
  connected = false;
  up: Direction | undefined;
  down: Direction | undefined;

  constructor(
    readonly client: Handle,
    readonly pool: BackendPool,
    readonly dialer: TunnelDialer | undefined,
  ) {}

  connectNext(): void {
    const b = B as Bindings;
    const slot = this.pool.pick(this.tried);
    if (!slot) {
      this.pool.rejected++;
      this.closed = true;
      // No replica left: the client sees its connection reset rather than a silent hang.
      if (this.client.reset(noop)) this.client.close(noop);
      return;
    }
    if (slot.backend.tunnel) {
      this.handOver(slot);
      return;
    }
    this.slot = slot;
    slot.active++;
    const up = new b.TCP(b.SOCKET);
    this.upstream = up;
    const req = new b.TCPConnectWrap();
    req.oncomplete = onConnect;
    req.pair = this;
    const { address, port } = slot.backend;
    const err = address.includes(':') ? up.connect6(req, address, port) : up.connect(req, address, port);
    if (err) {
      this.connectFailed();
      return;
    }
    this.started = Date.now();
    connecting.add(this);
    if (!sweeper) sweeper = setInterval(sweep, 500).unref();
  }

  /**
   * A task on another node needs TLS, which lives on streams: the client handle becomes a
   * net.Socket (still not reading, so nothing is lost) and the socket path takes it from here,
   * failover included.
   */
  handOver(slot: BackendSlot): void {
    this.closed = true; // this pair owns the client handle no more
    connecting.delete(this);
    const opts = { handle: this.client, allowHalfOpen: true, pauseOnCreate: true, readable: true, writable: true };
    const socket = new net.Socket(opts as net.SocketConstructorOpts);
    proxyConnection(socket, this.pool, this.dialer, slot, this.tried);
  }

  connectFailed(): void {
    connecting.delete(this);
    const slot = this.slot as BackendSlot;
    this.slot = undefined;
    slot.active--;
    slot.failed++;
    this.upstream.close();
    this.upstream = null;
    (this.tried ??= []).push(slot);
    this.connectNext();
  }

  connectDone(status: number, handle: Handle): void {
    if (handle !== this.upstream || this.closed) return; // a timed-out attempt answering late
    connecting.delete(this);
    if (status < 0) {
      this.connectFailed();
      return;
    }
    this.connected = true;
    (this.slot as BackendSlot).total++;
    this.upstream.setNoDelay(true);
    this.up = new Direction(this, this.client, this.upstream);
    this.down = new Direction(this, this.upstream, this.client);
    this.up.start();
    if (!this.closed) this.down.start();
  }

  other(d: Direction): Direction {
    return (d === this.up ? this.down : this.up) as Direction;
  }

  /** Both directions finished cleanly: close both sockets. */
  maybeDone(): void {
    if (this.up?.shutDown && this.down?.shutDown) this.close(false);
  }

  /** An error on either side: reset both, like a kernel L4 balancer passes an RST on. */
  fail(): void {
    this.close(true);
  }

  close(reset: boolean): void {
    if (this.closed) return;
    this.closed = true;
    connecting.delete(this);
    if (this.slot) this.slot.active--;
    // A side we are shutting down is closed without the reset (its FIN may be out already).
    closeHandle(this.client, reset && !this.down?.shutting);
    if (this.upstream) closeHandle(this.upstream, reset && !this.up?.shutting);
    this.up?.release();
    this.down?.release();
  }
}

function onConnect(this: any, status: number, handle: Handle): void {
  (this.pair as Pair).connectDone(status, handle);
}

/**
 * Takes over a net.Server's accepting: each accepted handle is proxied without ever becoming a
 * net.Socket. Returns false when the fast path is not available or the server has no handle.
 */
export function acceptRaw(server: unknown, pool: BackendPool, dialer?: TunnelDialer): boolean {
  const handle = (server as { _handle?: any })._handle;
  if (!B || !handle || typeof handle.onconnection !== 'function') return false;
  handle.onconnection = (err: number, client: Handle) => {
    if (err || !client) return;
    client.setNoDelay(true);
    new Pair(client, pool, dialer).connectNext();
  };
  return true;
}
/* eslint-enable @typescript-eslint/no-explicit-any */
