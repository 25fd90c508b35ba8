// /_ping, /version, /info, /events (no events yet: an empty stream that stays open).
import type { SystemBackend } from '../backend';
import type { Router } from '../router';
import { InvalidArgumentError } from '../../errors';
import { qFilters, sendJson } from '../http';

/** docker's event filters: type, container (ID or name), event (action), image, label. */
function matches(ev: Record<string, unknown>, f: Record<string, string[]> | undefined): boolean {
  if (!f) return true;
  const actor = (ev.Actor ?? {}) as { ID?: string; Attributes?: Record<string, string> };
  const attrs = actor.Attributes ?? {};
  if (f.type?.length && !f.type.includes(String(ev.Type))) return false;
  if (f.event?.length && !f.event.some((a) => String(ev.Action).split(':')[0] === a)) return false;
  if (f.container?.length && !f.container.some((c) => actor.ID?.startsWith(c) || attrs.name === c)) return false;
  if (f.image?.length && !f.image.includes(attrs.image ?? '')) return false;
  if (
    f.label?.length &&
    !f.label.every((l) =>
      l.includes('=') ? attrs[l.slice(0, l.indexOf('='))] === l.slice(l.indexOf('=') + 1) : l in attrs,
    )
  )
    return false;
  return true;
}

export function systemRoutes(r: Router, s: SystemBackend): void {
  r.add('GET', '/_ping', async ({ req, res }) => {
    res.writeHead(200, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Api-Version': '1.41',
      'Cache-Control': 'no-cache, no-store, must-revalidate',
      Pragma: 'no-cache',
      'Content-Length': 2,
    });
    res.end(req.method === 'HEAD' ? undefined : 'OK');
  });
  r.add('GET', '/version', async ({ res }) => sendJson(res, 200, s.version()));
  r.add('GET', '/info', async ({ res }) => sendJson(res, 200, await s.info()));
  // Live events only (no history is kept): `since` in the past adds nothing, `until` ends the stream.
  r.add('GET', '/events', async ({ res, query, signal }) => {
    if (!s.subscribe) throw new InvalidArgumentError('events are not available');
    const filters = qFilters(query);
    const until = query.get('until');
    const untilMs = until ? Number(until) * 1000 : undefined;
    if (untilMs !== undefined && Number.isNaN(untilMs))
      throw new InvalidArgumentError(`invalid value for until: ${until}`);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    await new Promise<void>((resolve) => {
      const unsubscribe = s.subscribe!((ev) => {
        if (matches(ev, filters) && !res.destroyed) res.write(`${JSON.stringify(ev)}\n`);
      });
      const done = () => {
        unsubscribe();
        clearTimeout(timer);
        resolve();
      };
      const timer = untilMs !== undefined ? setTimeout(done, Math.max(0, untilMs - Date.now())) : undefined;
      if (signal.aborted) done();
      else signal.addEventListener('abort', done, { once: true });
    });
    res.end();
  });
}
