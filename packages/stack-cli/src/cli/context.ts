// The build context: the CLI walks the context directory, drops what .dockerignore excludes
// (the Dockerfile and .dockerignore themselves always go, like docker), and streams a tar.
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { IgnoreMatcher, parseDockerignore } from '@flotilla/engine-core';

export function contextFiles(dir: string, dockerfileRel: string): string[] {
  const ignoreFile = join(dir, '.dockerignore');
  const ignore = new IgnoreMatcher(existsSync(ignoreFile) ? parseDockerignore(readFileSync(ignoreFile, 'utf8')) : []);
  const keep = new Set(['.dockerignore', dockerfileRel]);
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if (!keep.has(r) && ignore.ignores(r)) {
        // An exclusion pattern may re-include something below an ignored directory.
        if (!ignore.hasExceptions() || !lstatSync(join(dir, r)).isDirectory()) continue;
      }
      const st = lstatSync(join(dir, r));
      if (st.isDirectory()) {
        if (!ignore.ignores(r)) out.push(r);
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

/**
 * Stream the listed files as a tar. GNU tar (a dependency of every Debian system) does the work:
 * spawning it costs less start-up time than loading a JS tar implementation into the CLI.
 */
export function contextTar(dir: string, files: string[]): Readable {
  const child = spawn('tar', ['-C', dir, '--numeric-owner', '--no-recursion', '--null', '-T', '-', '-cf', '-'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin.end(files.map((f) => `${f}\0`).join(''));
  child.on('close', (code) => {
    if (code !== 0)
      child.stdout.destroy(
        new Error(`packing the build context failed: ${stderr.trim() || `tar exited ${String(code)}`}`),
      );
  });
  child.on('error', (e) => child.stdout.destroy(e));
  return child.stdout;
}
