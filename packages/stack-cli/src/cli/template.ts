// `--format` templates as docker's CLI runs them: Go's text/template with docker's functions
// (json, join, split, title, lower, upper, pad, truncate) and the `table` prefix.
import {
  executeGoTemplate as execute,
  GO_TEMPLATE_FUNCS as FUNCS,
  GO_TEMPLATE_HEADER_FUNCS as HEADER_FUNCS,
  parseGoTemplate as parse,
  tabwrite,
  type GoTemplateNode as Node,
} from '@flotilla/manager';

const FUNC_NAMES = new Set(Object.keys(FUNCS));
const cache = new Map<string, Node[]>();

/** docker's `\t` and `\n` escapes in a --format string. */
function unescape(format: string): string {
  return format.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
}

/** Parse a template once (throws TemplateParseError, exit 1, on a malformed one). */
export function parseTemplate(text: string): Node[] {
  let nodes = cache.get(text);
  if (!nodes) {
    nodes = parse(text, FUNC_NAMES);
    if (cache.size > 100) cache.clear();
    cache.set(text, nodes);
  }
  return nodes;
}

export function isJsonFormat(format: string | undefined): boolean {
  return format !== undefined && (format === 'json' || /^\s*\{\{\s*json\s+\.\s*\}\}\s*$/.test(format));
}

/** Render `obj` through a --format template (`json` is one JSON object). */
export function renderTemplate(format: string, obj: unknown): string {
  if (isJsonFormat(format)) return JSON.stringify(obj);
  const text = unescape(format);
  return execute(text, parseTemplate(text), obj, { funcs: FUNCS });
}

/**
 * `--format "table {{.ID}}\t{{.Names}}"`: a header row (docker's header names for the fields,
 * functions such as upper leave it alone), then each row through the template, aligned like
 * docker's tabwriter. Returns undefined for a format without the `table` prefix.
 */
export function renderTableFormat(
  format: string,
  rows: unknown[],
  headers: Record<string, string>,
): string | undefined {
  const m = /^table(\s.*)?$/s.exec(format);
  if (!m) return undefined;
  const body = unescape(m[1] ?? '').replace(/^ +| +$/g, '');
  if (body.trim() === '') return undefined;
  const nodes = parseTemplate(body);
  const header = execute(body, nodes, headers, {
    funcs: HEADER_FUNCS,
    header: (path) => headers[path.join('.')] ?? headers[path[0] ?? ''] ?? (path[path.length - 1] ?? '').toUpperCase(),
  });
  const text = [header, ...rows.map((r) => execute(body, nodes, r, { funcs: FUNCS }))].map((l) => `${l}\n`).join('');
  return tabwrite(text);
}

/**
 * A list command's `--format` output, as docker's formatter writes it: `json` (one object a line),
 * `table {{...}}` (header row and aligned columns), or a template run once per row, each row
 * followed by a newline.
 */
export function renderRows(format: string, rows: unknown[], headers: Record<string, string>): string {
  if (isJsonFormat(format)) return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
  const table = renderTableFormat(format, rows, headers);
  if (table !== undefined) return table;
  return rows.map((r) => `${renderTemplate(format, r)}\n`).join('');
}
