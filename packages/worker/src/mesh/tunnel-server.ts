// The receiving side of mesh tunnels: one mutual-TLS listener per node. Only nodes of this
// cluster get in, and a tunnel only ever reaches a task that runs on this node according to its
// mesh view (the resolver): the listener must never become an open proxy into the node's networks.
import net from 'node:net';
import tls from 'node:tls';
import { silentLogger, type Logger } from '@flotilla/engine-core';
import { MeshListenError, PortInUseError } from './errors';
import { MUX_PREFACE } from './mux-frame';
import { MuxSession } from './mux-session';
import { joinSockets } from './splice';
import { decodeRequest, encodeReply, MAX_REQUEST_BYTES, type TunnelRequest, TunnelStatus } from './tunnel-header';
import type { TunnelCredentials } from './types';

/** The local address of task `taskId` if it runs on this node and serves `port`, else undefined. */
export type TunnelResolver = (taskId: string, port: number) => string | undefined;

export interface TunnelServerOptions {
  resolve: TunnelResolver;
  log?: Logger;
  /** A peer that has not sent its header by then is dropped. */
  headerTimeoutMs?: number;
  /** A task that neither accepts nor refuses by then counts as refused. */
  connectTimeoutMs?: number;
}

function subjectField(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function contextOf(c: TunnelCredentials): tls.SecureContextOptions {
  return { ca: c.caCertPem, cert: c.certPem, key: c.keyPem };
}

export class TunnelServer {
  private server: tls.Server | undefined;
  private clusterId = '';
  private readonly open = new Set<net.Socket>();
  private readonly connections = new Set<net.Socket>();
  private readonly sessions = new Set<MuxSession>();
  private readonly log: Logger;

  constructor(private readonly o: TunnelServerOptions) {
    this.log = o.log ?? silentLogger;
  }

  /** The bound port while listening. */
  get port(): number | undefined {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : undefined;
  }

  /** TCP connections from other nodes open now (a multiplexed tunnel is one, whatever it carries). */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Listens on host:port (0: any free port); resolves with the bound port. */
  async listen(credentials: TunnelCredentials, port: number, host = ''): Promise<number> {
    if (this.server) throw new MeshListenError('the mesh tunnel listener is already running');
    this.clusterId = credentials.clusterId;
    const server = tls.createServer({
      ...contextOf(credentials),
      requestCert: true,
      rejectUnauthorized: true,
      // Half-open only once spliced (accept): a peer gone during the handshake must free the socket.
      allowHalfOpen: false,
      noDelay: true,
      // The handshake of a peer that never finishes must not hold a socket for long.
      handshakeTimeout: this.o.headerTimeoutMs ?? 5000,
    });
    server.on('secureConnection', (s: tls.TLSSocket) => this.accept(s));
    // Every TCP connection, handshake or not, so that close() never waits on a silent peer.
    server.on('connection', (c: net.Socket) => {
      this.connections.add(c);
      c.once('close', () => this.connections.delete(c));
    });
    server.on('tlsClientError', (e: Error) => this.log.debug({ err: e.message }, 'mesh tunnel handshake refused'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: host || undefined, port, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((e: NodeJS.ErrnoException) => {
      const where = `${host || '*'}:${port}`;
      if (e.code === 'EADDRINUSE') throw new PortInUseError(port, undefined, { cause: e });
      throw new MeshListenError(`cannot listen for mesh tunnels on ${where}: ${e.message}`, { cause: e });
    });
    server.on('error', (e) => this.log.warn({ err: e.message }, 'mesh tunnel listener error'));
    this.server = server;
    return this.port as number;
  }

  /** A renewed certificate: new tunnels use it, open ones go on. */
  setCredentials(credentials: TunnelCredentials): void {
    this.clusterId = credentials.clusterId;
    this.server?.setSecureContext(contextOf(credentials));
  }

  private accept(s: tls.TLSSocket): void {
    s.on('error', () => {});
    // The CA only signs this cluster's nodes; the O check keeps that true should a CA ever be shared.
    if (subjectField(s.getPeerCertificate().subject?.O) !== this.clusterId) {
      this.log.warn({ peer: s.remoteAddress }, 'mesh tunnel from a node of another cluster refused');
      s.destroy();
      return;
    }
    this.open.add(s);
    s.once('close', () => this.open.delete(s));
    let got: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => s.destroy(), this.o.headerTimeoutMs ?? 5000);
    const onEnd = () => {
      clearTimeout(timer);
      s.destroy();
    };
    s.once('end', onEnd);
    const onData = (d: Buffer) => {
      got = got.length ? Buffer.concat([got, d]) : d;
      const n = Math.min(got.length, MUX_PREFACE.length);
      if (got.subarray(0, n).equals(MUX_PREFACE.subarray(0, n))) {
        if (got.length < MUX_PREFACE.length) return;
        clearTimeout(timer);
        s.off('data', onData);
        s.off('end', onEnd);
        this.multiplex(s, got.subarray(MUX_PREFACE.length));
        return;
      }
      let r: ReturnType<typeof decodeRequest>;
      try {
        r = decodeRequest(got);
        if (r === 'more' && got.length >= MAX_REQUEST_BYTES) throw new Error('header too long');
      } catch {
        clearTimeout(timer);
        s.off('data', onData);
        s.end(encodeReply(TunnelStatus.BAD_HEADER));
        return;
      }
      if (r === 'more') return;
      clearTimeout(timer);
      s.off('data', onData);
      s.off('end', onEnd);
      s.allowHalfOpen = true; // from here on a half-close is passed on, not a reason to close
      s.pause();
      if (r.rest.length) s.unshift(r.rest);
      this.connect(s, r.request);
    };
    s.on('data', onData);
  }

  /** A multiplexed tunnel: each stream asks for a task like a single tunnel does. */
  private multiplex(s: tls.TLSSocket, rest: Buffer): void {
    const session = new MuxSession(s, (req, accept, refuse) => this.dial(req, accept, refuse));
    this.sessions.add(session);
    session.onClose(() => this.sessions.delete(session));
    if (rest.length) session.feed(rest);
  }

  private connect(s: tls.TLSSocket, req: TunnelRequest): void {
    this.dial(
      req,
      (up) => {
        if (s.destroyed) {
          up.destroy();
          return;
        }
        s.write(encodeReply(TunnelStatus.OK));
        joinSockets(s, up);
      },
      (status) => {
        if (!s.destroyed) s.end(encodeReply(status));
      },
    );
  }

  /**
   * Connects to a task this node runs (only those: the tunnel is no open proxy). `refuse` gets
   * UNKNOWN_TASK or REFUSED (the sender then tries another replica); after `accept`, an error on
   * the connection is the stream's business ('close' follows with hadError and resets it).
   */
  private dial(req: TunnelRequest, accept: (up: net.Socket) => void, refuse: (status: TunnelStatus) => void): void {
    const address = this.o.resolve(req.taskId, req.port);
    if (!address) {
      this.log.debug({ task: req.taskId, port: req.port }, 'mesh tunnel to a task not running here refused');
      refuse(TunnelStatus.UNKNOWN_TASK);
      return;
    }
    const up = net.connect({ host: address, port: req.port, allowHalfOpen: true, noDelay: true });
    let connected = false;
    up.setTimeout(this.o.connectTimeoutMs ?? 3000, () => {
      if (!connected) up.destroy(new Error('connect timeout'));
    });
    up.on('error', () => {
      if (!connected) refuse(TunnelStatus.REFUSED);
    });
    up.once('connect', () => {
      connected = true;
      up.setTimeout(0);
      accept(up);
    });
  }

  /** Stops listening and cuts every open tunnel (the node is leaving the swarm). */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const m of [...this.sessions]) m.close();
    for (const s of this.open) s.destroy();
    this.open.clear();
    for (const c of this.connections) c.destroy();
    this.connections.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
