// ps: docker's container list, its row fields (the names --format templates use) and its table.
import { UsageError, bool, list, parseArgs, str } from '../args';
import { type Ctx, out } from '../io';
import { ellipsis, renderTable } from '../table';
import { renderTableFormat, renderTemplate } from '../template';
import { humanDuration, humanSize } from '../units';

type Json = Record<string, unknown>;

function fmtPorts(ports: Json[] | undefined): string {
  if (!ports) return '';
  return ports
    .map((pt) =>
      pt.PublicPort
        ? `${String(pt.IP || '0.0.0.0')}:${String(pt.PublicPort)}->${String(pt.PrivatePort)}/${String(pt.Type)}`
        : `${String(pt.PrivatePort)}/${String(pt.Type)}`,
    )
    .join(', ');
}

function ago(unixSeconds: number): string {
  return `${humanDuration((Date.now() / 1000 - unixSeconds) * 1000)} ago`;
}

const PS_HEADERS: Record<string, string> = {
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Status: 'STATUS',
  Ports: 'PORTS',
  Names: 'NAMES',
  State: 'STATE',
  Networks: 'NETWORKS',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  Size: 'SIZE',
};

/** docker ps row fields (the names `--format` templates use). */
export function psRow(c: Json): Json {
  const names = ((c.Names as string[]) ?? []).map((n) => n.replace(/^\//, ''));
  const cmd = String(c.Command ?? '');
  return {
    Command: JSON.stringify(cmd),
    CreatedAt: new Date(Number(c.Created) * 1000)
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, ' +0000 UTC'),
    ID: String(c.Id).slice(0, 12),
    Image: c.Image,
    Labels: Object.entries((c.Labels as Record<string, string>) ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    LocalVolumes: '0',
    Mounts: '',
    Names: names.join(','),
    Networks: Object.keys(((c.NetworkSettings as Json | undefined)?.Networks as Json | undefined) ?? {}).join(','),
    Ports: fmtPorts(c.Ports as Json[]),
    RunningFor: ago(Number(c.Created)),
    Size: humanSize(Number(c.SizeRw ?? 0)),
    State: c.State,
    Status: c.Status,
  };
}

export async function ps(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'all', short: 'a', type: 'bool' },
    { name: 'quiet', short: 'q', type: 'bool' },
    { name: 'no-trunc', type: 'bool' },
    { name: 'format', type: 'string' },
    { name: 'filter', short: 'f', type: 'list' },
    { name: 'latest', short: 'l', type: 'bool' },
    { name: 'size', short: 's', type: 'bool' },
  ]);
  const filters: Record<string, string[]> = {};
  for (const f of list(p, 'filter')) {
    const eq = f.indexOf('=');
    if (eq < 0) throw new UsageError(`bad format of filter (expected name=value)`);
    (filters[f.slice(0, eq)] ??= []).push(f.slice(eq + 1));
  }
  let list_ = await ctx.client.json<Json[]>('GET', '/containers/json', {
    query: { all: bool(p, 'all'), filters: Object.keys(filters).length ? JSON.stringify(filters) : undefined },
  });
  if (bool(p, 'latest')) list_ = list_.slice(0, 1);
  const noTrunc = bool(p, 'no-trunc');
  if (bool(p, 'quiet')) {
    for (const c of list_) out(ctx, noTrunc ? String(c.Id) : String(c.Id).slice(0, 12));
    return 0;
  }
  const format = str(p, 'format');
  if (format && format !== 'table') {
    const table = renderTableFormat(format, list_.map(psRow), PS_HEADERS);
    if (table !== undefined) ctx.io.stdout.write(table);
    else for (const c of list_) out(ctx, renderTemplate(format, psRow(c)));
    return 0;
  }
  const rows = list_.map((c) => {
    const r = psRow(c);
    const cmd = String(c.Command ?? '');
    return [
      noTrunc ? String(c.Id) : String(r.ID),
      String(r.Image),
      JSON.stringify(noTrunc ? cmd : ellipsis(cmd, 20)),
      String(r.RunningFor),
      String(r.Status),
      String(r.Ports),
      String(r.Names),
    ];
  });
  ctx.io.stdout.write(renderTable(['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'], rows));
  return 0;
}
