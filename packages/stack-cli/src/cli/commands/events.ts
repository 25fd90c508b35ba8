// `flotilla events`: the daemon's live events, one line each in docker's text format.
import { UsageError, list, parseArgs, str } from '../args';
import { type Ctx, out } from '../io';
import { renderTemplate } from '../template';
import { parseTime } from '../time-flag';

type Json = Record<string, unknown>;

/** "2026-11-23T13:00:00.123456789Z" from nanoseconds since the epoch. */
export function nanoTime(timeNano: number): string {
  const ms = Math.floor(timeNano / 1e6);
  const nanos = String(Math.round(timeNano % 1e9)).padStart(9, '0');
  return `${new Date(ms).toISOString().slice(0, 19)}.${nanos}Z`;
}

export function eventLine(ev: Json): string {
  const actor = (ev.Actor ?? {}) as { ID?: string; Attributes?: Record<string, string> };
  const attrs = Object.entries(actor.Attributes ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return `${nanoTime(Number(ev.timeNano ?? Number(ev.time) * 1e9))} ${String(ev.Type)} ${String(ev.Action)} ${actor.ID ?? ''}${attrs ? ` (${attrs})` : ''}`;
}

export async function events(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'filter', short: 'f', type: 'list' },
    { name: 'format', type: 'string' },
    { name: 'since', type: 'string' },
    { name: 'until', type: 'string' },
  ]);
  const filters: Record<string, string[]> = {};
  for (const f of list(p, 'filter')) {
    const eq = f.indexOf('=');
    if (eq < 0) throw new UsageError('bad format of filter (expected name=value)');
    (filters[f.slice(0, eq)] ??= []).push(f.slice(eq + 1));
  }
  const format = str(p, 'format');
  const stream = ctx.client.jsonStream('GET', '/events', {
    query: {
      filters: Object.keys(filters).length ? JSON.stringify(filters) : undefined,
      since: parseTime(str(p, 'since')),
      until: parseTime(str(p, 'until')),
    },
  });
  for await (const ev of stream) out(ctx, format ? renderTemplate(format, ev) : eventLine(ev));
  return 0;
}
