// secret/config ls and inspect --pretty output (pure): docker's columns, natural name order,
// "2 hours ago" times, and the pretty templates of docker's secret and config formatters.
import { renderTable } from '../table';
import { renderTableFormat, renderTemplate } from '../template';
import { ago } from '../units';

export type ObjectKind = 'secret' | 'config';

/** A secret or config as GET /secrets and /configs return it (DataVersion is flotilla's). */
export interface ApiFileObject {
  ID: string;
  Version: { Index: number };
  CreatedAt: string;
  UpdatedAt: string;
  Spec: {
    Name: string;
    Labels?: Record<string, string> | null;
    Data?: string;
    Driver?: { Name: string } | null;
    Templating?: { Name: string } | null;
  };
  DataVersion?: number;
}

export interface ListRow {
  ID: string;
  Name: string;
  Driver?: string;
  CreatedAt: string;
  UpdatedAt: string;
  Labels: string;
}

/** docker's sortorder.NaturalLess: digit runs compare as numbers ("2-foo" before "10-foo"). */
export function naturalLess(a: string, b: string): number {
  const chunks = (s: string) => s.match(/\d+|\D+/g) ?? [];
  const x = chunks(a);
  const y = chunks(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i]!;
    const q = y[i]!;
    if (p === q) continue;
    if (/^\d/.test(p) && /^\d/.test(q)) {
      const d = Number(p) - Number(q);
      if (d !== 0) return d;
      return p.length - q.length;
    }
    return p < q ? -1 : 1;
  }
  return x.length - y.length;
}

const labelsText = (l: Record<string, string> | null | undefined) =>
  Object.entries(l ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join(',');

export function listRows(kind: ObjectKind, objs: ApiFileObject[], now = Date.now()): ListRow[] {
  return [...objs]
    .sort((a, b) => naturalLess(a.Spec.Name, b.Spec.Name))
    .map((o) => ({
      ID: o.ID,
      Name: o.Spec.Name,
      ...(kind === 'secret' ? { Driver: o.Spec.Driver?.Name ?? '' } : {}),
      CreatedAt: ago(Date.parse(o.CreatedAt), now),
      UpdatedAt: ago(Date.parse(o.UpdatedAt), now),
      Labels: labelsText(o.Spec.Labels),
    }));
}

const HEADERS: Record<string, string> = {
  ID: 'ID',
  Name: 'NAME',
  Driver: 'DRIVER',
  CreatedAt: 'CREATED',
  UpdatedAt: 'UPDATED',
  Labels: 'LABELS',
};

/** `ls` output for --quiet and --format (json, table, "table {{...}}", a template). */
export function renderList(kind: ObjectKind, rows: ListRow[], opts: { quiet?: boolean; format?: string }): string {
  if (opts.quiet) return rows.map((r) => `${r.ID}\n`).join('');
  const format = opts.format;
  if (format === 'json') return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
  if (format && format !== 'table') {
    const table = renderTableFormat(format, rows, HEADERS);
    if (table !== undefined) return table;
    if (!format.startsWith('table')) return rows.map((r) => `${renderTemplate(format, r)}\n`).join('');
  }
  const cols: (keyof ListRow)[] =
    kind === 'secret' ? ['ID', 'Name', 'Driver', 'CreatedAt', 'UpdatedAt'] : ['ID', 'Name', 'CreatedAt', 'UpdatedAt'];
  return renderTable(
    cols.map((c) => HEADERS[c]!),
    rows.map((r) => cols.map((c) => r[c] ?? '')),
  );
}

/**
 * Go's time.Time String() through docker's PrettyPrint (first letter up, the rest lowered):
 * "2024-05-01 10:00:00.123456789 +0000 utc". The API's RFC 3339 text keeps its nanoseconds.
 */
export function goTime(rfc3339: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(rfc3339);
  if (!m) return rfc3339.toLowerCase();
  const frac = (m[3] ?? '').replace(/0+$/, '');
  const zone = m[4] === 'Z' ? '+0000 utc' : `${m[4]!.replace(':', '')} ${m[4]!.replace(':', '')}`;
  return `${m[1]} ${m[2]}${frac ? `.${frac}` : ''} ${zone}`;
}

function labelLines(l: Record<string, string> | null | undefined): string {
  const entries = Object.entries(l ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  if (!entries.length) return '';
  return `Labels:\n${entries.map(([k, v]) => ` - ${k}${v ? `=${v}` : ''}\n`).join('')}`;
}

/** `inspect --pretty`: docker's templates; flotilla adds the data version of an in-place update. */
export function prettyInspect(kind: ObjectKind, o: ApiFileObject): string {
  const version = typeof o.DataVersion === 'number' ? o.DataVersion : undefined;
  if (kind === 'secret') {
    return (
      `ID:              ${o.ID}\n` +
      `Name:              ${o.Spec.Name}\n` +
      labelLines(o.Spec.Labels) +
      `Driver:            ${o.Spec.Driver?.Name ?? ''}\n` +
      (version !== undefined ? `Data version:      ${version}\n` : '') +
      `Created at:        ${goTime(o.CreatedAt)}\n` +
      `Updated at:        ${goTime(o.UpdatedAt)}\n`
    );
  }
  return (
    `ID:\t\t\t${o.ID}\n` +
    `Name:\t\t\t${o.Spec.Name}\n` +
    labelLines(o.Spec.Labels) +
    (version !== undefined ? `Data version:          \t${version}\n` : '') +
    `Created at:            \t${goTime(o.CreatedAt)}\n` +
    `Updated at:            \t${goTime(o.UpdatedAt)}\n` +
    `Data:\n${Buffer.from(o.Spec.Data ?? '', 'base64').toString('utf8')}\n`
  );
}
