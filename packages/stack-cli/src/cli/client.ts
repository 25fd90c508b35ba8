// The CLI's client of the local API: HTTP/1.1 over the daemon's unix socket (or tcp://host:port).
// Errors come back as DaemonError (the daemon's {"message"}) or CannotConnectError.
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import type { Readable } from 'node:stream';
import type { Duplex } from 'node:stream';

export const DEFAULT_HOST = 'unix:///run/flotilla/flotilla.sock';
const API = '/v1.41';

export class DaemonError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'DaemonError';
  }
}

export class CannotConnectError extends Error {
  constructor(
    readonly host: string,
    options?: { cause?: unknown },
  ) {
    super(`Cannot connect to the flotilla daemon at ${host}. Is the flotilla daemon running?`, options);
    this.name = 'CannotConnectError';
  }
}

export type Query = Record<string, string | number | boolean | string[] | undefined>;

export interface RequestInit {
  query?: Query;
  body?: unknown;
  /** A raw body stream (tar uploads) instead of JSON. */
  stream?: Readable;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

function target(host: string): Pick<RequestOptions, 'socketPath' | 'host' | 'port'> {
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host.startsWith('tcp://') || host.startsWith('http://')) {
    const u = new URL(host.replace(/^tcp:/, 'http:'));
    return { host: u.hostname, port: Number(u.port || 2375) };
  }
  if (host.startsWith('/')) return { socketPath: host };
  throw new Error(`invalid host ${host}: use unix:///path or tcp://host:port`);
}

function qs(query: Query | undefined): string {
  if (!query) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) v.forEach((x) => p.append(k, x));
    else p.append(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

async function readAll(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

function errorFrom(status: number, body: Buffer): DaemonError {
  let message = body.toString('utf8').trim();
  try {
    const j = JSON.parse(message) as { message?: string };
    if (j && typeof j.message === 'string') message = j.message;
  } catch {
    /* plain text body */
  }
  return new DaemonError(message || `status ${status}`, status);
}

export class Client {
  constructor(readonly host: string) {}

  /**
   * An explicit Host header for unix sockets: without one, node derives it from "localhost" and
   * pays for compiling its IPv6 check on the first request (milliseconds at every CLI start).
   */
  private hostHeader(): Record<string, string> {
    return this.host.startsWith('unix://') || this.host.startsWith('/') ? { Host: 'flotilla' } : {};
  }

  /** Raw request: resolves with the response once headers arrive; non-2xx becomes DaemonError. */
  async raw(method: string, path: string, init: RequestInit = {}): Promise<IncomingMessage> {
    const headers: Record<string, string> = { ...this.hostHeader(), ...(init.headers ?? {}) };
    let payload: Buffer | undefined;
    if (init.body !== undefined) {
      payload = Buffer.from(JSON.stringify(init.body));
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      // No keep-alive: a CLI call is short, and a reused idle socket can race the server's close.
      const req = httpRequest(
        {
          ...target(this.host),
          agent: false,
          method,
          path: `${API}${path}${qs(init.query)}`,
          headers,
          signal: init.signal,
        },
        resolve,
      );
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (['ECONNREFUSED', 'ENOENT', 'EACCES'].includes(e.code ?? ''))
          reject(new CannotConnectError(this.host, { cause: e }));
        else reject(e);
      });
      if (init.stream) {
        init.stream.on('error', (e) => req.destroy(e));
        init.stream.pipe(req);
      } else req.end(payload);
    });
    if ((res.statusCode ?? 500) >= 400) throw errorFrom(res.statusCode ?? 500, await readAll(res));
    return res;
  }

  async json<T = unknown>(method: string, path: string, init: RequestInit = {}): Promise<T> {
    const res = await this.raw(method, path, init);
    const body = await readAll(res);
    if (body.length === 0) return undefined as T;
    return JSON.parse(body.toString('utf8')) as T;
  }

  async call(method: string, path: string, init: RequestInit = {}): Promise<void> {
    const res = await this.raw(method, path, init);
    await readAll(res);
  }

  /** Streamed JSON messages (build, pull, push, load). An {"error"} line throws DaemonError. */
  async *jsonStream(method: string, path: string, init: RequestInit = {}): AsyncGenerator<Record<string, unknown>> {
    const res = await this.raw(method, path, init);
    let buf = '';
    for await (const chunk of res as AsyncIterable<Buffer>) {
      buf += chunk.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        const msg = JSON.parse(line) as Record<string, unknown>;
        if (typeof msg.error === 'string') throw new DaemonError(msg.error, 500);
        yield msg;
      }
    }
    if (buf.trim()) {
      const msg = JSON.parse(buf) as Record<string, unknown>;
      if (typeof msg.error === 'string') throw new DaemonError(msg.error, 500);
      yield msg;
    }
  }

  /** docker's hijack: POST with Upgrade: tcp; resolves with the raw bidirectional socket. */
  async hijack(path: string, init: RequestInit = {}): Promise<{ socket: Duplex; head: Buffer }> {
    const payload = init.body !== undefined ? Buffer.from(JSON.stringify(init.body)) : Buffer.alloc(0);
    return new Promise((resolve, reject) => {
      const req = httpRequest({
        ...target(this.host),
        agent: false,
        method: 'POST',
        path: `${API}${path}${qs(init.query)}`,
        headers: {
          ...this.hostHeader(),
          Connection: 'Upgrade',
          Upgrade: 'tcp',
          'Content-Type': 'application/json',
          'Content-Length': String(payload.length),
        },
      });
      req.on('upgrade', (_res, socket, head) => resolve({ socket, head }));
      req.on('response', (res) => {
        void readAll(res).then((b) => reject(errorFrom(res.statusCode ?? 500, b)), reject);
      });
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (['ECONNREFUSED', 'ENOENT', 'EACCES'].includes(e.code ?? ''))
          reject(new CannotConnectError(this.host, { cause: e }));
        else reject(e);
      });
      req.end(payload);
    });
  }
}
