// Go's text/tabwriter as docker's tables use it (minwidth 10, padding 3, spaces): aligned columns.

/**
 * Align tab-terminated cells into columns. A column block is a run of consecutive lines that have a
 * cell in that column; its width is the widest cell plus padding (at least minWidth). The text after
 * a line's last tab is not a cell and takes no part in any width. Trailing blanks are trimmed.
 */
export function tabwrite(text: string, minWidth = 10, padding = 3): string {
  const lines = text.split('\n').map((l) => l.split('\t'));
  const widths: number[][] = lines.map(() => []);
  const width = (s: string): number => [...s].length;
  const columns = Math.max(0, ...lines.map((c) => c.length - 1));
  for (let col = 0; col < columns; col++) {
    let start = 0;
    while (start < lines.length) {
      if (lines[start]!.length - 1 <= col) {
        start++;
        continue;
      }
      let end = start;
      let w = 0;
      while (end < lines.length && lines[end]!.length - 1 > col) w = Math.max(w, width(lines[end++]![col]!));
      w = Math.max(w + padding, minWidth);
      for (let k = start; k < end; k++) widths[k]![col] = w;
      start = end;
    }
  }
  return lines
    .map((cells, k) =>
      cells
        .map((c, i) => (i < cells.length - 1 ? c + ' '.repeat(Math.max(0, widths[k]![i]! - width(c))) : c))
        .join('')
        .replace(/\s+$/, ''),
    )
    .join('\n');
}
