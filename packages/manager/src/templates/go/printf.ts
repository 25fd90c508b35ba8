// Go's fmt.Sprintf, Sprint and Sprintln over JSON-shaped values (the verbs --format users type).
import { formatFloat, goString, goType } from './values';

interface Spec {
  minus: boolean;
  plus: boolean;
  zero: boolean;
  space: boolean;
  sharp: boolean;
  width?: number;
  prec?: number;
}

const bad = (verb: string, v: unknown): string =>
  v === undefined || v === null ? `%!${verb}(<nil>)` : `%!${verb}(${goType(v)}=${goString(v)})`;

function pad(s: string, sp: Spec, numeric: boolean): string {
  const w = sp.width ?? 0;
  const len = [...s].length;
  if (len >= w) return s;
  if (sp.minus) return s + ' '.repeat(w - len);
  if (sp.zero && numeric) {
    const sign = /^[-+ ]/.test(s) ? s[0]! : '';
    return sign + '0'.repeat(w - len) + s.slice(sign.length);
  }
  return ' '.repeat(w - len) + s;
}

function signed(s: string, n: number, sp: Spec): string {
  if (n >= 0 && !Object.is(n, -0)) return (sp.plus ? '+' : sp.space ? ' ' : '') + s;
  return s;
}

function fixed(n: number, verb: string, prec: number): string {
  if (!Number.isFinite(n)) return formatFloat(n);
  if (verb === 'f' || verb === 'F') return n.toFixed(prec);
  if (verb === 'e' || verb === 'E') {
    const [m, e] = n.toExponential(prec).split('e') as [string, string];
    const x = Number(e);
    const s = `${m}e${x < 0 ? '-' : '+'}${String(Math.abs(x)).padStart(2, '0')}`;
    return verb === 'E' ? s.toUpperCase() : s;
  }
  const s = formatFloat(n);
  return verb === 'G' ? s.toUpperCase() : s;
}

function formatOne(verb: string, v: unknown, sp: Spec): string {
  switch (verb) {
    case 'v':
      if (typeof v === 'number') return pad(signed(goString(v), v, sp), sp, true);
      if (sp.sharp && typeof v === 'string') return pad(JSON.stringify(v), sp, false);
      return pad(goString(v), sp, false);
    case 's':
      if (typeof v === 'string') return pad(sp.prec !== undefined ? [...v].slice(0, sp.prec).join('') : v, sp, false);
      if (Array.isArray(v)) return pad(`[${v.map((x) => formatOne('s', x, {} as Spec)).join(' ')}]`, sp, false);
      return bad(verb, v);
    case 'q':
      if (typeof v === 'string') return pad(sp.sharp && !v.includes('`') ? `\`${v}\`` : JSON.stringify(v), sp, false);
      if (typeof v === 'number' && Number.isInteger(v)) return pad(`'${String.fromCodePoint(v)}'`, sp, false);
      if (Array.isArray(v)) return pad(`[${v.map((x) => formatOne('q', x, {} as Spec)).join(' ')}]`, sp, false);
      return bad(verb, v);
    case 'd':
    case 'b':
    case 'o':
    case 'x':
    case 'X':
    case 'c': {
      if (typeof v === 'number' && Number.isInteger(v)) {
        if (verb === 'c') return pad(String.fromCodePoint(v), sp, false);
        const radix = { d: 10, b: 2, o: 8, x: 16, X: 16 }[verb];
        let s = Math.abs(v).toString(radix);
        if (verb === 'X') s = s.toUpperCase();
        if (sp.prec !== undefined) s = s.padStart(sp.prec, '0');
        if (sp.sharp && verb !== 'd') s = ({ b: '0b', o: '0', x: '0x', X: '0X' } as Record<string, string>)[verb] + s;
        return pad(signed(v < 0 ? `-${s}` : s, v, sp), sp, true);
      }
      if ((verb === 'x' || verb === 'X') && typeof v === 'string') {
        const h = Buffer.from(v).toString('hex');
        return pad(verb === 'X' ? h.toUpperCase() : h, sp, false);
      }
      if (Array.isArray(v)) return pad(`[${v.map((x) => formatOne(verb, x, {} as Spec)).join(' ')}]`, sp, false);
      return bad(verb, v);
    }
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G':
      if (typeof v === 'number') {
        const prec = sp.prec ?? (verb === 'g' || verb === 'G' ? -1 : 6);
        const s =
          prec < 0
            ? fixed(v, verb, 0)
            : verb === 'g' || verb === 'G'
              ? String(Number(v.toPrecision(prec || 1)))
              : fixed(v, verb, prec);
        return pad(signed(s, v, sp), sp, true);
      }
      return bad(verb, v);
    case 't':
      return typeof v === 'boolean' ? pad(String(v), sp, false) : bad(verb, v);
    case 'T':
      return pad(v === undefined || v === null ? '<nil>' : goType(v), sp, false);
    default:
      return bad(verb, v);
  }
}

/** fmt.Sprintf: verbs v s q d b o x X c e E f F g G t T and %%, flags `-+# 0`, width, precision, `*`. */
export function sprintf(format: string, args: unknown[]): string {
  let out = '';
  let n = 0;
  const re = /%([-+# 0]*)(\*|\d+)?(?:\.(\*|\d*))?(.)?/gsy;
  let i = 0;
  while (i < format.length) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    re.lastIndex = pct;
    const m = re.exec(format)!;
    i = re.lastIndex;
    const flags = m[1] ?? '';
    const sp: Spec = {
      minus: flags.includes('-'),
      plus: flags.includes('+'),
      zero: flags.includes('0') && !flags.includes('-'),
      space: flags.includes(' '),
      sharp: flags.includes('#'),
    };
    const num = (t: string | undefined): number | undefined => {
      if (t === undefined) return undefined;
      if (t !== '*') return t === '' ? 0 : Number(t);
      const a = args[n++];
      return typeof a === 'number' ? a : undefined;
    };
    sp.width = num(m[2]);
    if (sp.width !== undefined && sp.width < 0) {
      sp.minus = true;
      sp.width = -sp.width;
    }
    sp.prec = num(m[3]);
    const verb = m[4];
    if (verb === undefined) {
      out += '%!(NOVERB)';
      continue;
    }
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (n >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatOne(verb, args[n++], sp);
  }
  if (n < args.length)
    out += `%!(EXTRA ${args
      .slice(n)
      .map((a) => (a === undefined || a === null ? '<nil>' : `${goType(a)}=${goString(a)}`))
      .join(', ')})`;
  return out;
}

/** fmt.Sprint: a space between operands when neither is a string. */
export function sprint(args: unknown[]): string {
  let out = '';
  args.forEach((a, k) => {
    if (k > 0 && typeof a !== 'string' && typeof args[k - 1] !== 'string') out += ' ';
    out += goString(a);
  });
  return out;
}

/** fmt.Sprintln: spaces between all operands and a newline at the end. */
export function sprintln(args: unknown[]): string {
  return `${args.map(goString).join(' ')}\n`;
}
