// Locating and invoking the runc binary. Every runc call passes `--root` so several daemons on
// one host keep separate runtime state.
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { MissingDependencyError } from '../errors';

let cached: string | undefined;

/** Absolute path of runc on PATH; throws MissingDependencyError ("runc not found: apt-get install runc"). */
export function findRunc(pathEnv = process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'): string {
  if (cached && pathEnv === process.env.PATH) return cached;
  for (const dir of pathEnv.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, 'runc');
    try {
      accessSync(p, constants.X_OK);
      if (pathEnv === process.env.PATH) cached = p;
      return p;
    } catch {
      // not here; keep looking
    }
  }
  throw new MissingDependencyError('runc', 'runc');
}

export interface RuncResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a short runc command (state, kill, delete, exec without stdio) and collect its output. */
export function runc(runcRoot: string, args: string[], opts: { signal?: AbortSignal } = {}): Promise<RuncResult> {
  const bin = findRunc();
  return new Promise((resolve) => {
    execFile(
      bin,
      ['--root', runcRoot, ...args],
      { signal: opts.signal, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === 'number'
            ? (err as unknown as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** Force-remove a container's runc state (kills its processes, removes its cgroups). Idempotent. */
export async function runcDeleteForce(runcRoot: string, id: string): Promise<void> {
  await runc(runcRoot, ['delete', '--force', id]);
}

/** runc's error output is logrus-style (`time=... level=error msg="..."`); keep the message. */
export function runcErrorMessage(stderr: string): string {
  const lines = stderr.trim().split('\n').filter(Boolean);
  const msgs = lines.map((l) => {
    const m = /msg="((?:[^"\\]|\\.)*)"/.exec(l);
    return m?.[1] !== undefined ? m[1].replace(/\\"/g, '"').replace(/\\\\/g, '\\') : l;
  });
  return msgs.join('; ');
}
