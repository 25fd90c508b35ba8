// The sending side of a mesh tunnel: a mutual-TLS connection to the task's node, the header
// naming task and port, and the one-byte verdict before any payload. The client's socket is
// still paused while this runs, so a refusal loses nothing and the next replica can be tried.
import tls from 'node:tls';
import { decodeReply, encodeRequest, TunnelStatus } from './tunnel-header';
import type { Backend, TunnelCredentials } from './types';

/** TLS name every node certificate carries besides its node ID. */
const NODE_TLS_NAME = 'swarm-node';
/** TLS sessions kept per tunnel address, so that a new tunnel to a known node skips the full handshake. */
const MAX_SESSIONS = 256;

export type DialCallback = (socket: tls.TLSSocket | undefined, why?: string) => void;

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
  private readonly sessions = new Map<string, Buffer>();

  /** Without credentials (before the node is in a swarm) every remote backend counts as failed. */
  setCredentials(c: TunnelCredentials | undefined): void {
    this.sessions.clear();
    this.clusterId = c?.clusterId ?? '';
    this.context = c ? tls.createSecureContext({ ca: c.caCertPem, cert: c.certPem, key: c.keyPem }) : undefined;
  }

  get ready(): boolean {
    return this.context !== undefined;
  }

  /**
   * Opens a tunnel to `b` (which must have `tunnel`). Calls back once: with the TLS socket, paused,
   * positioned at the first payload byte; or with undefined and the reason when this replica
   * cannot take the connection (the caller then tries the next one).
   */
  dial(b: Backend, timeoutMs: number, done: DialCallback): void {
    const where = b.tunnel ? splitHostPort(b.tunnel) : undefined;
    if (!where || !this.context) {
      done(undefined, !this.context ? 'no mesh tunnel credentials on this node' : `bad tunnel address ${b.tunnel}`);
      return;
    }
    let header: Buffer;
    try {
      header = encodeRequest({ taskId: b.taskId, port: b.port });
    } catch (e) {
      done(undefined, (e as Error).message);
      return;
    }
    const expectedNode = b.node;
    // Node skips checkServerIdentity on a resumed session: a session is only ever reused for the
    // node identity it was verified for.
    const key = `${b.tunnel}\0${expectedNode ?? ''}`;
    const clusterId = this.clusterId;
    const options: tls.ConnectionOptions & { allowHalfOpen: boolean } = {
      host: where.host,
      port: where.port,
      secureContext: this.context,
      // The certificate's SAN holds the node ID: the peer must be the node the view says runs the task.
      servername: expectedNode || NODE_TLS_NAME,
      checkServerIdentity: (name, cert) => {
        const err = tls.checkServerIdentity(name, cert);
        if (err) return err;
        if (subjectField(cert.subject?.O) !== clusterId) return new Error(`mesh tunnel peer ${name} belongs to another cluster`);
        return undefined;
      },
      session: this.sessions.get(key),
      // Passed on to the TLSSocket by tls.connect, though @types/node does not list it.
      allowHalfOpen: true,
    };
    const socket = tls.connect(options);
    socket.setNoDelay(true);
    socket.on('session', (s: Buffer) => {
      if (this.sessions.size >= MAX_SESSIONS && !this.sessions.has(key)) this.sessions.clear();
      this.sessions.set(key, s);
    });
    let settled = false;
    let answered = false;
    let got: Buffer = Buffer.alloc(0);
    const finish = (ok: boolean, why?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onError);
      if (ok) {
        done(socket);
        return;
      }
      // A session the peer no longer takes must not make every later tunnel to it fail as well.
      if (!answered) this.sessions.delete(key);
      socket.on('error', () => {});
      socket.destroy();
      done(undefined, why);
    };
    const onData = (d: Buffer) => {
      got = got.length ? Buffer.concat([got, d]) : d;
      let r: ReturnType<typeof decodeReply>;
      try {
        r = decodeReply(got);
      } catch (e) {
        finish(false, (e as Error).message);
        return;
      }
      if (r === 'more') return;
      answered = true;
      if (r.status !== TunnelStatus.OK) {
        finish(false, r.status === TunnelStatus.REFUSED ? 'the task refused the connection' : r.status === TunnelStatus.UNKNOWN_TASK ? 'the node does not run this task' : 'the node did not understand the request');
        return;
      }
      socket.pause();
      if (r.rest.length) socket.unshift(r.rest);
      finish(true);
    };
    const onEnd = () => finish(false, 'closed before answering');
    const onError = (e: Error) => finish(false, e.message);
    const timer = setTimeout(() => finish(false, 'no answer in time'), timeoutMs);
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', onError);
    socket.write(header);
  }
}
