// The functions --format templates call: docker/cli's (json, join, split, ...) and Go's builtins.
import { sprint, sprintf, sprintln } from './printf';
import { goString, goType, isMap, truth } from './values';

/** A template function: `args` is how many it takes (undefined: any), `min` the least. */
export interface Func {
  args?: number;
  min?: number;
  fn: (...a: unknown[]) => unknown;
}

/** Thrown by a function; the executor reports `error calling NAME: message`. */
export class FuncError extends Error {}

const str = (v: unknown): string => (typeof v === 'string' ? v : goString(v));
const int = (v: unknown, what?: string): number => {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  throw new FuncError(
    what ? `cannot ${what} with type ${goType(v)}` : `wrong type for value; expected int; got ${goType(v)}`,
  );
};

function title(s: string): string {
  let prev = ' ';
  let out = '';
  for (const ch of s) {
    const sep = !/[\p{L}\p{N}_']/u.test(prev);
    out += sep ? ch.toUpperCase() : ch;
    prev = ch;
  }
  return out;
}

function index(item: unknown, ...keys: unknown[]): unknown {
  let cur = item;
  for (const k of keys) {
    if (cur === undefined || cur === null) throw new FuncError('index of untyped nil');
    if (Array.isArray(cur) || typeof cur === 'string') {
      const i = int(k, 'index slice/array');
      if (i < 0 || i >= cur.length) throw new FuncError(`index out of range: ${i}`);
      cur = typeof cur === 'string' ? Buffer.from(cur)[i] : cur[i];
    } else if (isMap(cur)) {
      if (typeof k !== 'string') throw new FuncError(`value has type ${goType(k)}; should be string`);
      cur = Object.prototype.hasOwnProperty.call(cur, k) ? cur[k] : undefined;
    } else throw new FuncError(`can't index item of type ${goType(cur)}`);
  }
  return cur;
}

function slice(item: unknown, ...idx: unknown[]): unknown {
  if (!Array.isArray(item) && typeof item !== 'string') throw new FuncError(`can't slice item of type ${goType(item)}`);
  const [a = 0, b = item.length] = idx.map((x) => int(x, 'slice slice/array'));
  if (a < 0 || b > item.length || a > b) throw new FuncError(`index out of range: ${a > b ? a : b}`);
  return item.slice(a, b);
}

function length(v: unknown): number {
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (Array.isArray(v)) return v.length;
  if (isMap(v)) return Object.keys(v).length;
  throw new FuncError(`len of ${v === undefined || v === null ? 'nil pointer' : `type ${goType(v)}`}`);
}

type Kind = 'number' | 'string' | 'boolean' | 'nil';
function basic(v: unknown): Kind {
  if (v === undefined || v === null) return 'nil';
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return typeof v as Kind;
  throw new FuncError('non-comparable type');
}

function eq(a: unknown, ...bs: unknown[]): boolean {
  if (bs.length === 0) throw new FuncError('missing argument for comparison');
  const ka = basic(a);
  for (const b of bs) {
    const kb = basic(b);
    if (ka === 'nil' || kb === 'nil') {
      if (ka === kb) return true;
      continue;
    }
    if (ka !== kb) throw new FuncError('incompatible types for comparison');
    if (a === b) return true;
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const ka = basic(a);
  const kb = basic(b);
  if (ka === 'nil' || kb === 'nil' || ka === 'boolean' || kb === 'boolean')
    throw new FuncError('invalid type for comparison');
  if (ka !== kb) throw new FuncError('incompatible types for comparison');
  return (a as number | string) < (b as number | string);
}

function join(list: unknown, sep: unknown): string {
  if (!Array.isArray(list)) throw new FuncError(`wrong type for value; expected []string; got ${goType(list)}`);
  return list.map(str).join(str(sep));
}

function split(s: unknown, sep: unknown): string[] {
  const text = str(s);
  const by = str(sep);
  return by === '' ? [...text] : text.split(by);
}

function htmlEscape(s: string): string {
  return s.replace(
    /[&<>"'\0]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;', '\0': '\uFFFD' })[c]!,
  );
}

/** docker/cli's templates.basicFunctions plus text/template's builtins (and/or are lazy, in exec). */
export const FUNCS: Record<string, Func> = {
  json: { args: 1, fn: (v) => JSON.stringify(v === undefined ? null : v) },
  split: { args: 2, fn: split },
  join: { args: 2, fn: join },
  title: { args: 1, fn: (s) => title(str(s)) },
  lower: { args: 1, fn: (s) => str(s).toLowerCase() },
  upper: { args: 1, fn: (s) => str(s).toUpperCase() },
  pad: { args: 3, fn: (s, a, b) => (str(s) === '' ? '' : ' '.repeat(int(a)) + str(s) + ' '.repeat(int(b))) },
  truncate: {
    args: 2,
    fn: (s, n) =>
      Buffer.byteLength(str(s)) < int(n)
        ? str(s)
        : Buffer.from(str(s))
            .subarray(0, n as number)
            .toString(),
  },
  printf: { min: 1, fn: (f, ...a) => sprintf(str(f), a) },
  print: { fn: (...a) => sprint(a) },
  println: { fn: (...a) => sprintln(a) },
  len: { args: 1, fn: length },
  index: { min: 1, fn: index },
  slice: { min: 1, fn: slice },
  not: { args: 1, fn: (v) => !truth(v) },
  and: { min: 1, fn: () => undefined },
  or: { min: 1, fn: () => undefined },
  eq: { min: 1, fn: eq },
  ne: { args: 2, fn: (a, b) => !eq(a, b) },
  lt: { args: 2, fn: lt },
  le: { args: 2, fn: (a, b) => lt(a, b) || eq(a, b) },
  gt: { args: 2, fn: (a, b) => !lt(a, b) && !eq(a, b) },
  ge: { args: 2, fn: (a, b) => !lt(a, b) },
  html: { fn: (...a) => htmlEscape(sprint(a)) },
  urlquery: { fn: (...a) => encodeURIComponent(sprint(a)).replace(/%20/g, '+') },
};

/** docker's HeaderFunctions: in a table header these return their argument unchanged. */
export const HEADER_FUNCS: Record<string, Func> = {
  ...FUNCS,
  json: { args: 1, fn: (v) => v },
  split: { args: 2, fn: (v) => v },
  join: { args: 2, fn: (v) => v },
  title: { args: 1, fn: (v) => v },
  lower: { args: 1, fn: (v) => v },
  upper: { args: 1, fn: (v) => v },
  truncate: { args: 2, fn: (v) => v },
};
