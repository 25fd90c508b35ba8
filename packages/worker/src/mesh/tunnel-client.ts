// The sending side of mesh tunnels: one multiplexed mutual-TLS connection per peer node (opened
// on first use, reopened after it dies), a stream per proxied connection. A stream is opened
// with a header naming task and port and answered with a verdict before any payload; the
// client's socket is still paused meanwhile, so a refusal loses nothing and the next replica can
// be tried.
import tls from 'node:tls';
import { MUX_PREFACE } from './mux-frame';
import { type MuxStream, MuxSession } from './mux-session';
import type { Backend, TunnelCredentials } from './types';

/** TLS name every node certificate carries besides its node ID. */
const NODE_TLS_NAME = 'swarm-node';
/** After a tunnel connection to a node failed, connections skip that node for this long. */
const DOWN_MS = 1000;
const NO_ANSWER = 'no answer in time';

export type DialCallback = (stream: MuxStream | undefined, why?: string) => void;

/** "host:port", "[v6]:port" -> its parts; undefined when malformed. */
export function splitHostPort(addr: string): { host: string; port: number } | undefined {
  const at = addr.lastIndexOf(':');
  if (at <= 0) return undefined;
  const host = addr.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  const port = Number(addr.slice(at + 1));
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host, port };
}

function subjectField(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export class TunnelDialer {
  private context: tls.SecureContext | undefined;
  private clusterId = '';
  private readonly sessions = new Map<string, MuxSession>();
  private readonly tlsSessions = new Map<string, Buffer>();
  private readonly down = new Map<string, { until: number; why: string }>();

  /** Without credentials (before the node is in a swarm) every remote backend counts as failed. */
  setCredentials(c: TunnelCredentials | undefined): void {
    this.close();
    this.clusterId = c?.clusterId ?? '';
    this.context = c ? tls.createSecureContext({ ca: c.caCertPem, cert: c.certPem, key: c.keyPem }) : undefined;
  }

  get ready(): boolean {
    return this.context !== undefined;
  }

  /** Tunnel connections open now (one per peer node in use). */
  get connections(): number {
    return this.sessions.size;
  }

  /**
   * Opens a stream to `b` (which must have `tunnel`). Calls back once: with the stream, ready to
   * attach the client socket; or with undefined and the reason when this replica cannot take
   * the connection (the caller then tries the next one).
   */
  dial(b: Backend, timeoutMs: number, done: DialCallback): void {
    const where = b.tunnel ? splitHostPort(b.tunnel) : undefined;
    if (!where || !this.context) {
      done(undefined, !this.context ? 'no mesh tunnel credentials on this node' : `bad tunnel address ${b.tunnel}`);
      return;
    }
    // One connection per node identity: the certificate was checked for exactly that node.
    const key = `${b.tunnel}\0${b.node ?? ''}`;
    const down = this.down.get(key);
    if (down && down.until > Date.now()) {
      done(undefined, down.why);
      return;
    }
    let session = this.sessions.get(key);
    if (!session || session.closed) session = this.connect(key, where, b.node, timeoutMs);
    const s = session;
    s.open({ taskId: b.taskId, port: b.port }, timeoutMs, (stream, why) => {
      // A node that answers nothing (link down, host gone) would cost every connection the full
      // timeout: give up this connection and let others skip the node for a moment.
      if (!stream && why === NO_ANSWER && !s.closed) {
        this.down.set(key, { until: Date.now() + DOWN_MS, why });
        s.close(why);
      }
      done(stream, why);
    });
  }

  private connect(
    key: string,
    where: { host: string; port: number },
    node: string | undefined,
    timeoutMs: number,
  ): MuxSession {
    const clusterId = this.clusterId;
    const socket = tls.connect({
      host: where.host,
      port: where.port,
      secureContext: this.context,
      // The certificate's SAN holds the node ID: the peer must be the node the view says runs the task.
      servername: node || NODE_TLS_NAME,
      checkServerIdentity: (name, cert) => {
        const err = tls.checkServerIdentity(name, cert);
        if (err) return err;
        if (subjectField(cert.subject?.O) !== clusterId)
          return new Error(`mesh tunnel peer ${name} belongs to another cluster`);
        return undefined;
      },
      // Node skips checkServerIdentity on a resumed session: sessions are kept per node identity.
      session: this.tlsSessions.get(key),
    });
    socket.setNoDelay(true);
    // An idle tunnel to a node that vanished is noticed without waiting for the next connection.
    socket.setKeepAlive(true, 5000);
    socket.on('session', (s: Buffer) => this.tlsSessions.set(key, s));
    socket.write(MUX_PREFACE);
    const session = new MuxSession(socket);
    this.sessions.set(key, session);
    let secure = false;
    const fail = (why: string) => {
      if (!secure) {
        this.tlsSessions.delete(key);
        this.down.set(key, { until: Date.now() + DOWN_MS, why });
      }
      session.close(why);
    };
    const timer = setTimeout(() => fail(NO_ANSWER), timeoutMs);
    socket.once('secureConnect', () => {
      secure = true;
      this.down.delete(key);
      clearTimeout(timer);
    });
    socket.on('error', (e: Error) => fail(e.message));
    session.onClose(() => {
      clearTimeout(timer);
      if (this.sessions.get(key) === session) this.sessions.delete(key);
    });
    return session;
  }

  /** Closes every tunnel connection (their streams are reset). */
  close(): void {
    for (const s of [...this.sessions.values()]) s.close();
    this.sessions.clear();
    this.tlsSessions.clear();
    this.down.clear();
  }
}
