/** Compose byte sizes: 50M, 1g, 512k, 1024 (units are powers of 1024, like docker's RAMInBytes). */
export function parseBytes(v: string | number): number {
  if (typeof v === 'number') return Math.floor(v);
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?\s*$/i.exec(v);
  if (!m) throw new Error(`invalid size: '${v}'`);
  const pow = ' kmgtp'.indexOf((m[2] || ' ').toLowerCase());
  return Math.floor(Number(m[1]) * 1024 ** pow);
}

const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go-style durations (1m30s, 500ms, 10s) to nanoseconds; a bare number means seconds. */
export function parseDuration(v: string | number): number {
  if (typeof v === 'number') return Math.round(v * 1e9);
  const s = v.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1e9);
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!; // the pattern admits only these units
    consumed = re.lastIndex;
  }
  if (consumed !== s.length || s.length === 0) throw new Error(`invalid duration: '${v}' (use e.g. 10s, 1m30s, 500ms)`);
  return Math.round(total);
}

/** "0.1" CPUs to NanoCPUs. */
export function parseCpus(v: string | number): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`invalid cpus: '${v}'`);
  return Math.round(n * 1e9);
}

/** Compose `command`/`entrypoint` strings split like a shell (quotes, escapes), not run by sh -c. */
export function splitShellWords(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let q: '"' | "'" | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (q) {
      if (c === q) q = null;
      else if (c === '\\' && q === '"' && i + 1 < s.length && '"\\$`'.includes(s.charAt(i + 1))) cur += s[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      q = c;
      has = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
    }
  }
  if (q) throw new Error(`unterminated quote in '${s}'`);
  if (has || cur) out.push(cur);
  return out;
}

/**
 * A file mode as docker reads it: a number as is, a string in Go's base-0 syntax (strconv.ParseUint
 * with base 0: "0440" and "0o440" octal, "0x1ff" hex, "288" decimal). Undefined when it is not
 * a mode (negative, not an integer, or above 0o7777).
 */
export function parseFileMode(v: string | number): number | undefined {
  let n: number;
  if (typeof v === 'number') n = v;
  else {
    const s = v.trim();
    if (/^0[oO]?[0-7]+$/.test(s)) n = parseInt(s.replace(/^0[oO]?/, '') || '0', 8);
    else if (/^0[xX][0-9a-fA-F]+$/.test(s)) n = parseInt(s.slice(2), 16);
    else if (/^0[bB][01]+$/.test(s)) n = parseInt(s.slice(2), 2);
    else if (/^(0|[1-9]\d*)$/.test(s)) n = Number(s);
    else return undefined;
  }
  return Number.isInteger(n) && n >= 0 && n <= 0o7777 ? n : undefined;
}
