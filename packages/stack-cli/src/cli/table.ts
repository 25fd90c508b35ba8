// Docker's table output: text/tabwriter with minwidth 10, padding 3, space filler; the last
// column is not padded.

export function renderTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(10, ...all.map((r) => (r[c] ?? '').length + 3)));
  return all
    .map((r) =>
      r
        .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c] ?? 0)))
        .join('')
        .replace(/\s+$/, ''),
    )
    .map((l) => `${l}\n`)
    .join('');
}

/** docker's Ellipsis: keep `max` characters, the last one an ellipsis. */
export function ellipsis(s: string, max: number): string {
  return [...s].length > max ? `${[...s].slice(0, max - 1).join('')}…` : s;
}
