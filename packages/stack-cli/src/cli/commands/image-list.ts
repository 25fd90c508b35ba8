// images and history: docker's image tables and their --format fields.
import { UsageError, bool, list, onePositional, parseArgs, str } from '../args';
import { type Ctx, out } from '../io';
import { renderTable } from '../table';
import { renderTableFormat, renderTemplate } from '../template';
import { ago, humanSize } from '../units';

type Json = Record<string, unknown>;

function imageRows(images: Json[], all: boolean): Json[] {
  const rows: Json[] = [];
  for (const img of images) {
    const tags = ((img.RepoTags as string[] | null) ?? []).filter((t) => t !== '<none>:<none>');
    const digests = (img.RepoDigests as string[] | null) ?? [];
    const base = {
      Containers: img.Containers === -1 || img.Containers === undefined ? 'N/A' : String(img.Containers),
      CreatedAt: new Date(Number(img.Created) * 1000)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' +0000 UTC'),
      CreatedSince: ago(Number(img.Created) * 1000),
      ID: String(img.Id)
        .replace(/^sha256:/, '')
        .slice(0, 12),
      SharedSize: 'N/A',
      Size: humanSize(Number(img.Size ?? 0)),
      UniqueSize: 'N/A',
      VirtualSize: humanSize(Number(img.VirtualSize ?? img.Size ?? 0)),
    };
    if (tags.length === 0) {
      if (!all && (img.ParentId as string | undefined)) continue;
      rows.push({ ...base, Repository: '<none>', Tag: '<none>', Digest: digests[0]?.split('@')[1] ?? '<none>' });
      continue;
    }
    for (const t of tags) {
      const colon = t.lastIndexOf(':');
      const repo = t.slice(0, colon);
      const digest = digests.find((d) => d.startsWith(`${repo}@`))?.split('@')[1] ?? '<none>';
      rows.push({ ...base, Repository: repo, Tag: t.slice(colon + 1), Digest: digest });
    }
  }
  return rows;
}

export async function images(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'all', short: 'a', type: 'bool' },
    { name: 'quiet', short: 'q', type: 'bool' },
    { name: 'format', type: 'string' },
    { name: 'no-trunc', type: 'bool' },
    { name: 'digests', type: 'bool' },
    { name: 'filter', short: 'f', type: 'list' },
  ]);
  const filters: Record<string, string[]> = {};
  for (const f of list(p, 'filter')) {
    const eq = f.indexOf('=');
    if (eq < 0) throw new UsageError('bad format of filter (expected name=value)');
    (filters[f.slice(0, eq)] ??= []).push(f.slice(eq + 1));
  }
  if (p.positionals[0]) (filters.reference ??= []).push(p.positionals[0]);
  const list_ = await ctx.client.json<Json[]>('GET', '/images/json', {
    query: { all: bool(p, 'all'), filters: Object.keys(filters).length ? JSON.stringify(filters) : undefined },
  });
  list_.sort((a, b) => Number(b.Created) - Number(a.Created));
  const noTrunc = bool(p, 'no-trunc');
  if (bool(p, 'quiet')) {
    const seen = new Set<string>();
    for (const img of list_) {
      const id = noTrunc
        ? String(img.Id)
        : String(img.Id)
            .replace(/^sha256:/, '')
            .slice(0, 12);
      if (!seen.has(id)) out(ctx, id);
      seen.add(id);
    }
    return 0;
  }
  const rows = imageRows(list_, bool(p, 'all'));
  const format = str(p, 'format');
  if (format && format !== 'table') {
    const table = renderTableFormat(format, rows, {
      Repository: 'REPOSITORY',
      Tag: 'TAG',
      ID: 'IMAGE ID',
      CreatedSince: 'CREATED',
      CreatedAt: 'CREATED AT',
      Size: 'SIZE',
      Digest: 'DIGEST',
    });
    if (table !== undefined) ctx.io.stdout.write(table);
    else for (const r of rows) out(ctx, renderTemplate(format, r));
    return 0;
  }
  const digests = bool(p, 'digests');
  const header = digests
    ? ['REPOSITORY', 'TAG', 'DIGEST', 'IMAGE ID', 'CREATED', 'SIZE']
    : ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'];
  ctx.io.stdout.write(
    renderTable(
      header,
      rows.map((r) => {
        const id = noTrunc ? `sha256:${String(r.ID)}` : String(r.ID);
        const cells = [String(r.Repository), String(r.Tag), id, String(r.CreatedSince), String(r.Size)];
        if (digests) cells.splice(2, 0, String(r.Digest));
        return cells;
      }),
    ),
  );
  return 0;
}

export async function history(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'quiet', short: 'q', type: 'bool' },
    { name: 'no-trunc', type: 'bool' },
    { name: 'format', type: 'string' },
    { name: 'human', short: 'H', type: 'bool' },
  ]);
  const ref = onePositional(p, '"history" requires exactly 1 argument.');
  const h = await ctx.client.json<Json[]>('GET', `/images/${ref}/history`);
  const format = str(p, 'format');
  if (format && format !== 'table') {
    for (const r of h) out(ctx, renderTemplate(format, r));
    return 0;
  }
  ctx.io.stdout.write(
    renderTable(
      ['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'],
      h.map((r) => [
        String(r.Id ?? '<missing>')
          .replace(/^sha256:/, '')
          .slice(0, 12) || '<missing>',
        ago(Number(r.Created) * 1000),
        bool(p, 'no-trunc') ? String(r.CreatedBy ?? '') : String(r.CreatedBy ?? '').slice(0, 45),
        humanSize(Number(r.Size ?? 0)),
        String(r.Comment ?? ''),
      ]),
    ),
  );
  return 0;
}
