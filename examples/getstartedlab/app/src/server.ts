// The HTTP side: GET / renders the page; everything else is 404 like Flask's router.
import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import { renderPage } from './page';
import { type VisitCounter } from './counter';

export interface ServerOptions {
  name: string;
  counter: VisitCounter;
}

export function createAppServer({ name, counter }: ServerOptions): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(path === '/' ? 405 : 404, { 'content-type': 'text/html; charset=utf-8' });
      res.end(path === '/' ? 'Method Not Allowed\n' : 'Not Found\n');
      return;
    }
    void counter.increment().then((visits) => {
      const body = renderPage({ name, hostname: hostname(), visits });
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  });
}
