// Checked indexing for tests: the item at an index, or an error that names the index and length.

/** `list.at(i)` (negative counts from the end) that throws instead of answering undefined. */
export function item<T>(list: readonly T[], i: number): T {
  const v = list.at(i);
  if (v === undefined) throw new Error(`no item at index ${i} of a list of ${list.length}`);
  return v;
}
