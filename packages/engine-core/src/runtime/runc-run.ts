// `runc run` in the foreground: runc stays the parent of the container's init, forwards signals
// to it and exits with its status, so the daemon learns the exit code without a shim.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { findRunc } from './runc';

export interface RuncRunOptions {
  runcRoot: string;
  bundle: string;
  id: string;
  /** runc writes the init pid here once the user process runs (atomically, by rename). */
  pidFile?: string;
  stdin: 'pipe' | 'ignore';
}

export function spawnRuncRun(o: RuncRunOptions): ChildProcess {
  const args = ['--root', o.runcRoot, 'run', '--bundle', o.bundle];
  if (o.pidFile) args.push('--pid-file', o.pidFile);
  args.push(o.id);
  // detached: its own process group, so a Ctrl-C aimed at the daemon's terminal does not hit
  // runc (which would forward it to every container).
  return spawn(findRunc(), args, { stdio: [o.stdin, 'pipe', 'pipe'], detached: true });
}

/** Docker's convention: a process killed by signal N exits 128+N. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  if (signal) return 128 + (constants.signals[signal] ?? 0);
  return 255;
}

/** Resolves with the exit code once the child has exited and its stdio has been drained. */
export function waitChild(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve(exitCodeOf(child.exitCode, child.signalCode));
      return;
    }
    child.once('close', (code, signal) => resolve(exitCodeOf(code, signal)));
  });
}
