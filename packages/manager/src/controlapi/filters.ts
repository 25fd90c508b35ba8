// docker's list filters (`?filters={"name":["web"]}`) applied to store objects: pure.
import { TaskState } from '../store/types';

/** The parsed `filters` query: each key with the values any of which may match. */
export type ListFilters = Record<string, string[]>;

/**
 * Every given key must match one of its values; `get` answers null for a key it does not filter on.
 * Keys in `prefixKeys` match when a value starts the object's (swarmkit's NamePrefixes and
 * IDPrefixes: `service ls --filter name=web` lists web and web2), the others match exactly.
 */
export function matchFilters(
  filters: ListFilters | undefined,
  get: (key: string) => string[] | null,
  prefixKeys: readonly string[] = [],
): boolean {
  if (!filters) return true;
  for (const [k, values] of Object.entries(filters)) {
    if (!values.length) continue;
    const have = get(k);
    if (have === null) continue;
    const byPrefix = prefixKeys.includes(k);
    if (!values.some((v) => (byPrefix ? have.some((h) => h.startsWith(v)) : have.includes(v)))) return false;
  }
  return true;
}

/** `label=KEY` or `label=KEY=VALUE`: every one must be on the object. */
export function labelsMatch(labels: Record<string, string> | undefined, wanted: string[]): boolean {
  return wanted.every((w) => {
    const [k = '', v] = w.split('=', 2);
    return labels !== undefined && k in labels && (v === undefined || labels[k] === v);
  });
}

/** `desired-state=running`: a task state by its lowercase name (undefined for an unknown name). */
export const parseDesiredState = (s: string): TaskState | undefined => {
  const k = s.toUpperCase() as keyof typeof TaskState;
  return typeof TaskState[k] === 'number' ? TaskState[k] : undefined;
};
