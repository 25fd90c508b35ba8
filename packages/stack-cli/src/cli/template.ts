// The part of Go templates scripts use with `--format`: `json`, `{{json .}}`, `{{.Field.Sub}}`,
// `{{json .Field}}`, and literal text around them (`{{.ID}}\t{{.Names}}`).

function lookup(obj: unknown, path: string): unknown {
  if (path === '.' || path === '') return obj;
  let cur: unknown = obj;
  for (const key of path.replace(/^\./, '').split('.')) {
    if (cur === null || cur === undefined || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function show(v: unknown): string {
  if (v === undefined || v === null) return '<no value>';
  if (typeof v === 'object') {
    if (Array.isArray(v)) return `[${v.map(show).join(' ')}]`;
    return `map[${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${k}:${show(x)}`)
      .join(' ')}]`;
  }
  return String(v);
}

export function isJsonFormat(format: string | undefined): boolean {
  return format !== undefined && (format === 'json' || /^\s*\{\{\s*json\s+\.\s*\}\}\s*$/.test(format));
}

export function renderTemplate(format: string, obj: unknown): string {
  if (isJsonFormat(format)) return JSON.stringify(obj);
  return format
    .replace(/\\t/g, '\t')
    .replace(/\\n/g, '\n')
    .replace(/\{\{\s*(json\s+)?(\.[\w.]*)\s*\}\}/g, (_m, json: string | undefined, path: string) => {
      const v = lookup(obj, path);
      return json ? JSON.stringify(v ?? null) : show(v);
    });
}

/**
 * `--format "table {{.ID}}\t{{.Names}}"`: docker's header names for the fields, the rows rendered
 * through the template, aligned like the default tables. Returns undefined for other formats.
 */
export function renderTableFormat(
  format: string,
  rows: unknown[],
  headers: Record<string, string>,
): string | undefined {
  const m = /^table\s*(.*)$/s.exec(format);
  if (!m) return undefined;
  const body = m[1]!.replace(/\\t/g, '\t');
  if (body.trim() === '') return undefined;
  const header = body.replace(
    /\{\{\s*(?:json\s+)?\.([\w.]+)\s*\}\}/g,
    (_x, field: string) => headers[field] ?? field.toUpperCase(),
  );
  const lines = [header, ...rows.map((r) => renderTemplate(body, r))];
  const cells = lines.map((l) => l.split('\t'));
  const widths: number[] = [];
  for (const row of cells) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length + 3, 10)));
  return cells
    .map(
      (row) =>
        `${row
          .map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
          .join('')
          .replace(/\s+$/, '')}\n`,
    )
    .join('');
}
