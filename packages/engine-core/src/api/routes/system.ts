// /_ping, /version, /info, /events (no events yet: an empty stream that stays open).
import type { SystemBackend } from '../backend';
import type { Router } from '../router';
import { sendJson } from '../http';

export function systemRoutes(r: Router, s: SystemBackend): void {
  r.add('GET', '/_ping', async ({ req, res }) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Api-Version': '1.41', 'Cache-Control': 'no-cache, no-store, must-revalidate', Pragma: 'no-cache', 'Content-Length': 2 });
    res.end(req.method === 'HEAD' ? undefined : 'OK');
  });
  r.add('GET', '/version', async ({ res }) => sendJson(res, 200, s.version()));
  r.add('GET', '/info', async ({ res }) => sendJson(res, 200, await s.info()));
}
