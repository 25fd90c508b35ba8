// .dockerignore semantics (moby/patternmatcher): one pattern a line, `#` comments, `!` re-includes,
// `**` any number of directories, the last matching pattern wins, and a path whose parent
// directory matches is excluded with it.

interface Pattern {
  re: RegExp;
  exclusion: boolean;
}

function clean(p: string): string {
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return parts.join('/');
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*') {
      if (glob[i + 1] === '*') {
        // "**/" matches zero or more directories; a trailing "**" matches everything below.
        i++;
        if (glob[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        let cls = glob.slice(i + 1, end);
        if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
        re += `[${cls.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (ch === '\\' && i + 1 < glob.length) {
      re += `\\${glob[++i]!}`;
    } else re += ch.replace(/[.+^${}()|/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function parseDockerignore(text: string): Pattern[] {
  const out: Pattern[] = [];
  for (const raw of text.split('\n')) {
    let line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    let exclusion = false;
    if (line.startsWith('!')) {
      exclusion = true;
      line = line.slice(1).trim();
    }
    line = clean(line);
    if (line === '') continue;
    out.push({ re: globToRegExp(line), exclusion });
  }
  return out;
}

/** True if `relPath` (slash-separated, relative to the context) is excluded by the patterns. */
export function isIgnored(patterns: Pattern[], relPath: string): boolean {
  const path = clean(relPath);
  const parents: string[] = [];
  const segs = path.split('/');
  for (let i = 1; i < segs.length; i++) parents.push(segs.slice(0, i).join('/'));
  let matched = false;
  for (const p of patterns) {
    if (p.exclusion === matched) {
      // Only a pattern that could flip the current result matters.
      const hit = p.re.test(path) || parents.some((d) => p.re.test(d));
      if (hit) matched = !p.exclusion;
    }
  }
  return matched;
}
