// The HTTP side: GET / renders the page, GET /api/state the JSON it was rendered from. Each
// request reads the swarm afresh; when that fails, the page says why (503) and the server goes on.
import { createServer, type Server } from 'node:http';
import { getJson } from './engine-client';
import { renderPage } from './render';
import { type ApiNode, type ApiService, type ApiTask, type VisualizerState, buildState } from './state';

export interface VisualizerOptions {
  socketPath: string;
  refreshSeconds: number;
  /** Per API call. */
  timeoutMs?: number;
}

/** One read of the swarm: nodes, services and tasks (three calls, all to the same manager). */
export async function readState(socketPath: string, timeoutMs?: number): Promise<VisualizerState> {
  const [nodes, services, tasks] = await Promise.all([
    getJson<ApiNode[]>(socketPath, '/nodes', timeoutMs),
    getJson<ApiService[]>(socketPath, '/services', timeoutMs),
    getJson<ApiTask[]>(socketPath, '/tasks', timeoutMs),
  ]);
  return buildState(nodes, services, tasks);
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export function createVisualizerServer(options: VisualizerOptions): Server {
  const { socketPath, refreshSeconds, timeoutMs } = options;
  const source = `unix://${socketPath}`;
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, {
        'content-type': type,
        'content-length': Buffer.byteLength(body),
        'cache-control': 'no-store',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(405, 'text/plain; charset=utf-8', 'Method Not Allowed\n');
      return;
    }
    if (path !== '/' && path !== '/api/state') {
      send(404, 'text/plain; charset=utf-8', 'Not Found\n');
      return;
    }
    // Reading and rendering both inside the promise: whatever the API answers, the request gets
    // a page and the server goes on.
    readState(socketPath, timeoutMs)
      .then((state) => {
        if (path === '/api/state') send(200, 'application/json', `${JSON.stringify(state)}\n`);
        else send(200, 'text/html; charset=utf-8', renderPage({ state, refreshSeconds, source, now: new Date() }));
      })
      .catch((e: unknown) => {
        const error = errorText(e);
        if (res.headersSent) return void res.destroy();
        if (path === '/api/state') send(503, 'application/json', `${JSON.stringify({ message: error })}\n`);
        else
          send(
            503,
            'text/html; charset=utf-8',
            renderPage({ state: null, error, refreshSeconds, source, now: new Date() }),
          );
      });
  });
}
