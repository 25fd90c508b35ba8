// A docker-compatible (pflag-style) argument parser: combined short flags (-it, -dp 80:80),
// --flag=value, -fvalue, repeatable flags, `--` ends flags, and commands that stop at their
// first positional (run, exec) so the container's own flags pass through untouched.

export type FlagType = 'bool' | 'string' | 'list';

export interface FlagSpec {
  name: string;
  short?: string;
  type: FlagType;
  /** Accepted for compatibility, no effect. */
  ignored?: boolean;
}

export interface ParsedArgs {
  flags: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }

  /** docker: flag errors exit 125, a wrong number of arguments exits 1. */
  get exitCode(): number {
    return /" (requires (at least \d+ and at most|at least|exactly|at most) \d+ arguments?|accepts no arguments)\.$/.test(
      this.message,
    )
      ? 1
      : 125;
  }
}

function findLong(specs: FlagSpec[], name: string): FlagSpec | undefined {
  return specs.find((s) => s.name === name);
}

function findShort(specs: FlagSpec[], ch: string): FlagSpec | undefined {
  return specs.find((s) => s.short === ch);
}

function flagLabel(s: FlagSpec): string {
  return s.short ? `-${s.short}, --${s.name}` : `--${s.name}`;
}

function parseBool(s: FlagSpec, v: string): boolean {
  if (['true', '1', 't', 'T', 'TRUE', 'True'].includes(v)) return true;
  if (['false', '0', 'f', 'F', 'FALSE', 'False'].includes(v)) return false;
  throw new UsageError(
    `invalid argument "${v}" for "${flagLabel(s)}" flag: strconv.ParseBool: parsing "${v}": invalid syntax`,
  );
}

/**
 * Parse `argv` against `specs`. With `interspersed: false`, the first positional ends flag
 * parsing (docker run IMAGE CMD ARGS...).
 */
export function parseArgs(argv: string[], specs: FlagSpec[], opts: { interspersed?: boolean } = {}): ParsedArgs {
  const interspersed = opts.interspersed ?? true;
  const flags: ParsedArgs['flags'] = {};
  const positionals: string[] = [];
  const set = (s: FlagSpec, v: string | boolean) => {
    if (s.type === 'list') {
      const cur = (flags[s.name] as string[] | undefined) ?? [];
      cur.push(String(v));
      flags[s.name] = cur;
    } else flags[s.name] = v;
  };

  const rest = [...argv];
  for (let a = rest.shift(); a !== undefined; a = rest.shift()) {
    if (a === '--') {
      positionals.push(...rest);
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      const s = findLong(specs, name);
      if (!s) throw new UsageError(`unknown flag: --${name}`);
      if (s.type === 'bool') {
        set(s, eq >= 0 ? parseBool(s, a.slice(eq + 1)) : true);
      } else if (eq >= 0) {
        set(s, a.slice(eq + 1));
      } else {
        const v = rest.shift();
        if (v === undefined) throw new UsageError(`flag needs an argument: --${name}`);
        set(s, v);
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      // A group of short flags: bools until one takes a value (the rest of the group or the next arg).
      for (let j = 1; j < a.length; j++) {
        const ch = a.charAt(j);
        const s = findShort(specs, ch);
        if (!s) throw new UsageError(`unknown shorthand flag: '${ch}' in ${a}`);
        if (s.type === 'bool') {
          if (a[j + 1] === '=') {
            set(s, parseBool(s, a.slice(j + 2)));
            break;
          }
          set(s, true);
          continue;
        }
        let v = a.slice(j + 1);
        if (v.startsWith('=')) v = v.slice(1);
        if (v === '') {
          const next = rest.shift();
          if (next === undefined) throw new UsageError(`flag needs an argument: '${ch}' in -${ch}`);
          v = next;
        }
        set(s, v);
        break;
      }
      continue;
    }
    positionals.push(a);
    if (!interspersed) {
      positionals.push(...rest);
      break;
    }
  }
  return { flags, positionals };
}

export const str = (p: ParsedArgs, name: string): string | undefined => p.flags[name] as string | undefined;
export const bool = (p: ParsedArgs, name: string): boolean => p.flags[name] === true;
export const list = (p: ParsedArgs, name: string): string[] => (p.flags[name] as string[] | undefined) ?? [];

/** The one positional argument of a command that takes exactly one; a UsageError with `message` otherwise. */
export function onePositional(p: Pick<ParsedArgs, 'positionals'>, message: string): string {
  const [only, ...more] = p.positionals;
  if (only === undefined || more.length > 0) throw new UsageError(message);
  return only;
}
