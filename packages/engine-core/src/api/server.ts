// The local API server: Docker Engine API v1.41 paths over HTTP/1.1 on a unix socket. Every
// handler error becomes docker's {"message": ...} with the engine error's status; nothing a
// client sends can crash the daemon.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { EngineBackend } from './backend';
import { silentLogger, type Logger } from '../log';
import { isEngineError } from '../errors';
import { HijackRouter, readUpgradeBody, runHijacked } from './hijack';
import { sendError } from './http';
import { Router } from './router';
import { containerRoutes } from './routes/containers';
import { imageRoutes } from './routes/images';
import { networkRoutes } from './routes/networks';
import { systemRoutes } from './routes/system';
import { volumeRoutes } from './routes/volumes';

export function buildRouters(
  engine: EngineBackend,
  extend?: (router: Router) => void,
): { router: Router; hijack: HijackRouter } {
  const router = new Router();
  // Extensions (swarm mode) go first: they may take over a path the engine also knows.
  extend?.(router);
  const hijack = new HijackRouter();
  systemRoutes(router, engine.system);
  containerRoutes(router, hijack, engine.containers);
  imageRoutes(router, engine.images);
  networkRoutes(router, engine.networks);
  volumeRoutes(router, engine.volumes);
  return { router, hijack };
}

function statusOf(e: unknown): number {
  if (isEngineError(e)) return e.status;
  return 500;
}

function clientAbort(req: IncomingMessage, res: ServerResponse | null, socket: Duplex): AbortController {
  const ac = new AbortController();
  const abort = () => ac.abort();
  // 'close' on the response fires when it is done or the peer went away; either way stop work.
  if (res) res.on('close', abort);
  else socket.on('close', abort);
  req.on('aborted', abort);
  return ac;
}

export interface ApiServerOptions {
  log?: Logger;
  /** Adds routes ahead of the engine's own (swarm mode). */
  extend?: (router: Router) => void;
}

export function createApiServer(engine: EngineBackend, opts: ApiServerOptions = {}): Server {
  const log = opts.log ?? silentLogger;
  const { router, hijack } = buildRouters(engine, opts.extend);

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://flotilla');
    const method = req.method ?? 'GET';
    const route = router.match(method, url.pathname);
    if (!route) {
      req.resume();
      sendError(res, 404, 'page not found');
      return;
    }
    const ac = clientAbort(req, res, req.socket);
    const started = Date.now();
    route
      .handler({ req, res, params: route.params, query: url.searchParams, signal: ac.signal })
      .catch((e: unknown) => {
        const status = statusOf(e);
        if (status >= 500) log.error({ err: e, method, path: url.pathname }, 'request failed');
        else log.debug({ method, path: url.pathname, status, msg: (e as Error).message }, 'request refused');
        req.resume();
        sendError(res, status, e instanceof Error ? e.message : String(e));
      })
      .finally(() =>
        log.debug({ method, path: url.pathname, ms: Date.now() - started, status: res.statusCode }, 'request'),
      );
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://flotilla');
    const route = hijack.match(url.pathname);
    socket.on('error', () => socket.destroy());
    const fail = (status: number, message: string) => {
      const body = JSON.stringify({ message });
      socket.end(
        `HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    };
    if (!route || req.method !== 'POST') {
      fail(404, 'page not found');
      return;
    }
    const ac = clientAbort(req, null, socket);
    void (async () => {
      try {
        const { body, rest } = await readUpgradeBody(req, socket, head);
        const streams = await route.handler({
          req,
          socket,
          params: route.params,
          query: url.searchParams,
          body,
          signal: ac.signal,
        });
        const ctype = streams.tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream';
        socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${ctype}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
        await runHijacked(socket, rest, streams);
      } catch (e) {
        if (!socket.destroyed) fail(statusOf(e), e instanceof Error ? e.message : String(e));
      }
    })();
  });

  server.on('clientError', (_err, socket) => {
    if (socket.writable)
      socket.end(
        'HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"message":"malformed HTTP request"}',
      );
    else socket.destroy();
  });
  // Long-lived streams (logs -f, attach, wait) must not be cut by Node's default timeouts.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 5_000;
  return server;
}
