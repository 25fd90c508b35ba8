// Merging several compose files (`stack deploy -c base.yml -c override.yml`), like docker's loader:
// mappings merge key by key, later files win; list-or-map keys (environment, labels) merge by
// variable name; ports and volumes merge by their target, a service's secrets and configs by their
// source; other lists are replaced.

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** ["A=1", "B"] or {A: 1, B: null} -> {A: "1", B: null}. */
export function listOrMapToMap(v: unknown): Record<string, string | null> {
  if (Array.isArray(v)) {
    const out: Record<string, string | null> = {};
    for (const item of v) {
      const s = String(item);
      const eq = s.indexOf('=');
      if (eq < 0) out[s] = null;
      else out[s.slice(0, eq)] = s.slice(eq + 1);
    }
    return out;
  }
  return isObj(v) ? (v as Record<string, string | null>) : {};
}

const BY_NAME = new Set(['environment', 'labels', 'extra_hosts']);

function portKey(p: unknown): string {
  if (isObj(p)) return `${String(p.published ?? '')}:${String(p.target)}/${String(p.protocol ?? 'tcp')}`;
  const s = String(p);
  return s.includes('/') ? s : `${s}/tcp`;
}

function volumeKey(v: unknown): string {
  if (isObj(v)) return String(v.target);
  const parts = String(v).split(':');
  return parts.length >= 2 ? parts[1]! : parts[0]!;
}

function mergeKeyed(base: unknown[], over: unknown[], key: (x: unknown) => string): unknown[] {
  const m = new Map<string, unknown>();
  for (const x of base) m.set(key(x), x);
  for (const x of over) m.set(key(x), x);
  return [...m.values()];
}

function mergeValue(key: string, base: unknown, over: unknown, path: string[]): unknown {
  if (over === undefined) return base;
  if (base === undefined || base === null) return over;
  if (BY_NAME.has(key) && path.length >= 2) return { ...listOrMapToMap(base), ...listOrMapToMap(over) };
  if (key === 'ports' && Array.isArray(base) && Array.isArray(over)) return mergeKeyed(base, over, portKey);
  if (key === 'volumes' && path[0] === 'services' && Array.isArray(base) && Array.isArray(over))
    return mergeKeyed(base, over, volumeKey);
  if ((key === 'secrets' || key === 'configs') && path[0] === 'services' && Array.isArray(base) && Array.isArray(over))
    return mergeKeyed(base, over, (r) => String(isObj(r) ? r.source : r));
  if (isObj(base) && isObj(over)) return mergeObjects(base, over, path);
  return over;
}

function mergeObjects(base: Obj, over: Obj, path: string[]): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = mergeValue(k, base[k], v, [...path, k]);
  return out;
}

export function mergeComposeFiles(files: Obj[]): Obj {
  return files.reduce((acc, f) => mergeObjects(acc, f, []), {} as Obj);
}
