// Go's view of JSON-shaped values: truth, type names, and fmt's %v printing (maps sorted, `[a b]`).

/** Go's `<no value>`: a missing field or map key (JS undefined). */
export const NO_VALUE = '<no value>';

export function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** text/template's isTrue: false, 0, nil, and empty strings, slices and maps are false. */
export function truth(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (isMap(v)) return Object.keys(v).length > 0;
  return true;
}

/** The Go type a JSON value decodes to, as fmt and template errors name it. */
export function goType(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (Array.isArray(v)) return '[]interface {}';
  if (typeof v === 'function') return 'func';
  return 'map[string]interface {}';
}

/** strconv.FormatFloat(f, 'g', -1, 64): shortest digits, exponent when < -4 or >= 6. */
export function formatFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const [mant, expS] = f.toExponential().split('e') as [string, string];
  const exp = Number(expS);
  if (exp < -4 || exp >= 6) return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(f);
}

/** Go's %v of a number: integers as integers, floats as %g. */
export function formatNumber(n: number): string {
  return Number.isInteger(n) && Math.abs(n) < 1e21 ? BigInt(n).toString() : formatFloat(n);
}

/** fmt's %v: nil as <nil>, slices `[a b]`, maps `map[k:v]` with sorted keys. */
export function goString(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(goString).join(' ')}]`;
  if (typeof v === 'function') return '<func>';
  if (isMap(v))
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${goString(v[k])}`)
      .join(' ')}]`;
  return String(v);
}

/** What an action prints: `<no value>` for a missing (or nil) value, else %v. */
export function printValue(v: unknown): string {
  return v === undefined || v === null ? NO_VALUE : goString(v);
}
