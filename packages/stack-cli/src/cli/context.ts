// The build context: the CLI walks the context directory, drops what .dockerignore excludes
// (the Dockerfile and .dockerignore themselves always go, like docker), and streams a tar.
import { existsSync, lstatSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import type * as Tar from 'tar';
import { isIgnored, parseDockerignore } from './dockerignore';

export function contextFiles(dir: string, dockerfileRel: string): string[] {
  const ignoreFile = join(dir, '.dockerignore');
  const patterns = existsSync(ignoreFile) ? parseDockerignore(readFileSync(ignoreFile, 'utf8')) : [];
  const keep = new Set(['.dockerignore', dockerfileRel]);
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if (!keep.has(r) && isIgnored(patterns, r)) {
        // An exclusion pattern may re-include something below an ignored directory.
        if (!patterns.some((p) => p.exclusion) || !lstatSync(join(dir, r)).isDirectory()) continue;
      }
      const st = lstatSync(join(dir, r));
      if (st.isDirectory()) {
        if (!isIgnored(patterns, r)) out.push(r);
        walk(r);
      } else out.push(r);
    }
  };
  walk('');
  return out;
}

/** Resolve -f relative to the caller's cwd and check it lies inside the context. */
export function dockerfileInContext(contextDir: string, cwd: string, file: string | undefined): string {
  if (!file) return 'Dockerfile';
  const abs = resolve(cwd, file);
  const rel = relative(contextDir, abs);
  if (rel.startsWith('..') || rel === '' || resolve(contextDir, rel) !== abs) {
    throw new Error(`the Dockerfile (${file}) must be within the build context (${contextDir})`);
  }
  return rel.split(sep).join('/');
}

export function contextTar(dir: string, files: string[]): Readable {
  // tar is loaded only when a build needs it (CLI start-up time matters for `run`).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { create } = require('tar') as typeof Tar;
  return create({ cwd: dir, portable: true, noDirRecurse: true, gzip: false }, files) as unknown as Readable;
}
