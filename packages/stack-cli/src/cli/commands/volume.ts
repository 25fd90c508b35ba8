// volume create | ls | rm | inspect | prune.
import { UsageError, bool, list, parseArgs, str } from '../args';
import { forEachArg } from '../each';
import { type Ctx, out } from '../io';
import { renderTable } from '../table';
import { renderRows } from '../template';

/** docker's column headers for the volume ls --format fields. */
const VOLUME_HEADERS = {
  Driver: 'DRIVER',
  Name: 'VOLUME NAME',
  Mountpoint: 'MOUNTPOINT',
  Scope: 'SCOPE',
  Labels: 'LABELS',
  Links: 'LINKS',
  Size: 'SIZE',
};
import { prune } from './prune';
import { keyValues } from '../key-values';
import { inspectEach } from './object-inspect';

type Json = Record<string, unknown>;

export async function volume(ctx: Ctx, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'create': {
      const p = parseArgs(rest, [
        { name: 'driver', short: 'd', type: 'string' },
        { name: 'label', type: 'list' },
        { name: 'opt', short: 'o', type: 'list' },
        { name: 'name', type: 'string' },
      ]);
      const v = await ctx.client.json<Json>('POST', '/volumes/create', {
        body: {
          Name: p.positionals[0] ?? str(p, 'name') ?? '',
          Driver: str(p, 'driver') ?? 'local',
          Labels: keyValues(list(p, 'label')),
          DriverOpts: keyValues(list(p, 'opt')),
        },
      });
      out(ctx, String(v.Name));
      return 0;
    }
    case 'ls':
    case 'list': {
      const p = parseArgs(rest, [
        { name: 'quiet', short: 'q', type: 'bool' },
        { name: 'format', type: 'string' },
        { name: 'filter', short: 'f', type: 'list' },
      ]);
      const res = await ctx.client.json<{ Volumes: Json[] | null }>('GET', '/volumes');
      const vols = (res.Volumes ?? []).sort((a, b) => String(a.Name).localeCompare(String(b.Name)));
      if (bool(p, 'quiet')) {
        for (const v of vols) out(ctx, String(v.Name));
        return 0;
      }
      const format = str(p, 'format');
      if (format && format !== 'table') {
        const rows = vols.map((v) => ({
          Driver: v.Driver,
          Labels: '',
          Links: 'N/A',
          Mountpoint: v.Mountpoint,
          Name: v.Name,
          Scope: v.Scope ?? 'local',
          Size: 'N/A',
        }));
        ctx.io.stdout.write(renderRows(format, rows, VOLUME_HEADERS));
        return 0;
      }
      ctx.io.stdout.write(
        renderTable(
          ['DRIVER', 'VOLUME NAME'],
          vols.map((v) => [String(v.Driver ?? 'local'), String(v.Name)]),
        ),
      );
      return 0;
    }
    case 'rm':
    case 'remove': {
      const p = parseArgs(rest, [{ name: 'force', short: 'f', type: 'bool' }]);
      return forEachArg(
        ctx,
        p.positionals,
        (n) => ctx.client.call('DELETE', `/volumes/${n}`, { query: { force: bool(p, 'force') } }),
        '"volume rm" requires at least 1 argument.',
      );
    }
    case 'inspect': {
      const p = parseArgs(rest, [{ name: 'format', short: 'f', type: 'string' }]);
      return inspectEach(
        ctx,
        p.positionals,
        (id) => ctx.client.json('GET', `/volumes/${id}`),
        str(p, 'format'),
        'volume',
      );
    }
    case 'prune':
      return prune(ctx, 'volume', rest);
    default:
      throw new UsageError(
        sub ? `flotilla volume: '${sub}' is not a flotilla command.` : 'Usage:  flotilla volume COMMAND',
      );
  }
}
