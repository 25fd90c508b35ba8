import { InterpolationError } from './errors';

export type Env = Record<string, string | undefined>;

/**
 * Compose variable substitution: $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err},
 * ${VAR?err}, ${VAR:+alt}, ${VAR+alt}, and $$ for a literal $. Defaults may hold nested ${...}.
 */
export function interpolate(input: string, env: Env): string {
  let out = '';
  let i = 0;
  while (i < input.length) {
    const c = input.charAt(i);
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '{') {
      const end = matchingBrace(input, i + 1);
      if (end < 0) throw new InterpolationError(`invalid interpolation format for "${input}": missing closing brace`);
      out += substitute(input.slice(i + 2, end), env, input);
      i = end + 1;
    } else if (next !== undefined && /[A-Za-z_]/.test(next)) {
      let j = i + 1;
      while (j < input.length && /[A-Za-z0-9_]/.test(input.charAt(j))) j++;
      out += env[input.slice(i + 1, j)] ?? '';
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function matchingBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === '{') depth++;
    else if (s[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

function substitute(body: string, env: Env, whole: string): string {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([\s\S]*))?$/.exec(body);
  if (!m) throw new InterpolationError(`invalid interpolation format for "${whole}": "\${${body}}"`);
  const [, name, op, arg = ''] = m as unknown as [string, string, string | undefined, string | undefined];
  const value = env[name];
  const unsetOrEmpty = value === undefined || value === '';
  switch (op) {
    case undefined:
      return value ?? '';
    case ':-':
      return unsetOrEmpty ? interpolate(arg, env) : value!;
    case '-':
      return value === undefined ? interpolate(arg, env) : value;
    case ':?':
    case '?':
      if (op === ':?' ? unsetOrEmpty : value === undefined) {
        throw new InterpolationError(`required variable ${name} is missing a value: ${interpolate(arg, env) || name}`);
      }
      return value!;
    case ':+':
      return unsetOrEmpty ? '' : interpolate(arg, env);
    case '+':
      return value === undefined ? '' : interpolate(arg, env);
    default:
      throw new InterpolationError(`invalid interpolation format for "${whole}"`);
  }
}
