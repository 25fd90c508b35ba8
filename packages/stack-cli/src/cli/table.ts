// Docker's table output: text/tabwriter with minwidth 10, padding 3, space filler; the last
// column is not padded.
import { tabwrite } from '@flotilla/manager';

export function renderTable(header: string[], rows: string[][]): string {
  // The one aligner: the `table` --format prefix uses it too.
  return `${tabwrite([header, ...rows].map((r) => header.map((_, c) => r[c] ?? '').join('\t')).join('\n'))}\n`;
}

/** docker's Ellipsis: keep `max` characters, the last one an ellipsis. */
export function ellipsis(s: string, max: number): string {
  return [...s].length > max ? `${[...s].slice(0, max - 1).join('')}…` : s;
}
