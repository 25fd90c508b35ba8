// .dockerignore matching like docker's patternmatcher: Go filepath.Match globs plus `**`,
// `!` exceptions, the last matching pattern wins, and a pattern matching a directory excludes
// everything below it. Pure.
import { posix } from 'node:path';

interface Pattern {
  re: RegExp;
  exclusion: boolean;
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob.charAt(i);
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        let cls = glob.slice(i + 1, end);
        if (cls.startsWith('^') || cls.startsWith('!')) cls = `^${cls.slice(1)}`;
        re += `[${cls.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < glob.length) {
      re += `\\${glob[++i]}`;
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function compileGlob(glob: string): RegExp {
  return globToRegExp(glob);
}

export function parseDockerignore(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

export class IgnoreMatcher {
  private readonly patterns: Pattern[];
  constructor(lines: string[]) {
    this.patterns = lines.map((l) => {
      const exclusion = l.startsWith('!');
      let p = exclusion ? l.slice(1).trim() : l;
      p = posix.normalize(p).replace(/^\/+/, '').replace(/\/+$/, '');
      if (p === '.') p = '';
      return { re: globToRegExp(p), exclusion };
    });
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  /** Whether a context-relative path ("dir/file") is excluded from the build context. */
  ignores(rel: string): boolean {
    const parts = rel.split('/');
    let ignored = false;
    for (const p of this.patterns) {
      let match = false;
      for (let n = parts.length; n >= 1 && !match; n--) match = p.re.test(parts.slice(0, n).join('/'));
      if (match) ignored = !p.exclusion;
    }
    return ignored;
  }

  /** True when some exception pattern could re-include something below `dir` (keep walking it). */
  hasExceptions(): boolean {
    return this.patterns.some((p) => p.exclusion);
  }
}
