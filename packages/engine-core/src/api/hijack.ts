// Docker's hijacked connections (attach, exec start with `Upgrade: tcp`): the server answers
// 101 and the socket then carries stdin from the client and framed output to it.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ProcessStreams } from './backend';
import { pipeOutput } from './streams';

export interface HijackContext {
  req: IncomingMessage;
  socket: Duplex;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The JSON request body, if any (sent before the upgrade). */
  body: unknown;
  signal: AbortSignal;
}

export type HijackHandler = (ctx: HijackContext) => Promise<ProcessStreams>;

const VERSION_PREFIX = /^\/v\d+\.\d+(?=\/)/;

export class HijackRouter {
  private readonly routes: { re: RegExp; keys: string[]; handler: HijackHandler }[] = [];

  add(pattern: string, handler: HijackHandler): this {
    const keys: string[] = [];
    const src = pattern.replace(/\{(\w+)\}/g, (_m, key: string) => {
      keys.push(key);
      return '([^/]+)';
    });
    this.routes.push({ re: new RegExp(`^${src}$`), keys, handler });
    return this;
  }

  match(path: string): { handler: HijackHandler; params: Record<string, string> } | null {
    const p = path.replace(VERSION_PREFIX, '');
    for (const r of this.routes) {
      const m = r.re.exec(p);
      if (!m) continue;
      const params: Record<string, string> = {};
      r.keys.forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1] ?? '')));
      return { handler: r.handler, params };
    }
    return null;
  }
}

/** Read Content-Length bytes of body that arrived with (or after) the upgrade request. */
export async function readUpgradeBody(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<{ body: unknown; rest: Buffer }> {
  const len = Number(req.headers['content-length'] ?? 0);
  let buf = head;
  while (buf.length < len) {
    const chunk = await new Promise<Buffer | null>((resolve) => {
      const onData = (d: Buffer) => {
        cleanup();
        resolve(d);
      };
      const onEnd = () => {
        cleanup();
        resolve(null);
      };
      const cleanup = () => {
        socket.off('data', onData);
        socket.off('end', onEnd);
        socket.off('close', onEnd);
      };
      socket.on('data', onData);
      socket.on('end', onEnd);
      socket.on('close', onEnd);
    });
    if (!chunk) break;
    buf = Buffer.concat([buf, chunk]);
  }
  socket.pause();
  const raw = buf.subarray(0, len).toString('utf8').trim();
  let body: unknown = undefined;
  if (raw) {
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
  }
  return { body, rest: buf.subarray(len) };
}

/** After the 101: stdin bytes from the socket go to the process, output goes back. */
export async function runHijacked(socket: Duplex, rest: Buffer, p: ProcessStreams): Promise<void> {
  if (p.stdin) {
    const stdin = p.stdin as NodeJS.WritableStream & { writableEnded?: boolean; destroyed?: boolean };
    const open = () => !stdin.writableEnded && !stdin.destroyed;
    if (rest.length) stdin.write(rest);
    socket.on('data', (d: Buffer) => {
      if (open()) stdin.write(d);
    });
    // A half-close from the client (CloseWrite) means end of stdin.
    socket.on('end', () => {
      if (open()) stdin.end();
    });
  }
  socket.resume();
  await pipeOutput(p.output, socket, p.tty);
  socket.end();
}
