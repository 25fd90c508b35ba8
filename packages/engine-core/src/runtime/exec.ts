// `docker exec`: a process joined to a running container with `runc exec`; runc's exit code is
// the process's exit code.
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { AsyncQueue } from './async-queue';
import type { OutputChunk } from './container-types';
import { findRunc, runcErrorMessage } from './runc';
import { waitChild } from './runc-run';

/** Body of POST /containers/{id}/exec. */
export interface ExecCreateRequest {
  Cmd: string[];
  Env?: string[] | null;
  User?: string;
  WorkingDir?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Tty?: boolean;
  Privileged?: boolean;
  DetachKeys?: string;
}

/** GET /exec/{id}/json. */
export interface ExecInspect {
  ID: string;
  ContainerID: string;
  Running: boolean;
  ExitCode: number | null;
  Pid: number;
  OpenStdin: boolean;
  OpenStdout: boolean;
  OpenStderr: boolean;
  CanRemove: boolean;
  DetachKeys: string;
  ProcessConfig: { tty: boolean; entrypoint: string; arguments: string[]; privileged: boolean; user?: string };
}

export interface ExecRunOptions {
  runcRoot: string;
  containerId: string;
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  additionalGids: number[];
  stdin?: Readable;
  signal?: AbortSignal;
  onPid?: (pid: number) => void;
}

export function runExec(o: ExecRunOptions): { output: AsyncQueue<OutputChunk>; exitCode: Promise<number> } {
  const args = ['--root', o.runcRoot, 'exec', '--cwd', o.cwd || '/', '--user', `${o.uid}:${o.gid}`];
  for (const g of o.additionalGids) args.push('--additional-gids', String(g));
  for (const e of o.env) args.push('--env', e);
  args.push(o.containerId, ...o.args);
  const child = spawn(findRunc(), args, { stdio: [o.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], detached: true });
  const output = new AsyncQueue<OutputChunk>();
  if (child.pid) o.onPid?.(child.pid);
  let stderrTail = '';
  child.stdout?.on('data', (data: Buffer) => output.push({ stream: 'stdout', data }));
  child.stderr?.on('data', (data: Buffer) => {
    stderrTail = (stderrTail + data.toString()).slice(-4096);
    output.push({ stream: 'stderr', data });
  });
  if (o.stdin && child.stdin) {
    child.stdin.on('error', () => undefined);
    o.stdin.pipe(child.stdin);
  }
  const onAbort = () => child.kill('SIGKILL');
  o.signal?.addEventListener('abort', onAbort, { once: true });
  child.on('error', () => undefined);
  const exitCode = waitChild(child).then((code) => {
    o.signal?.removeEventListener('abort', onAbort);
    output.end();
    // runc's own failure to start the process: map to the shell's conventions like docker does.
    if (code === 255 || code === 1) {
      const msg = runcErrorMessage(stderrTail);
      if (/exec failed|unable to start/.test(msg))
        return /not found|no such file/.test(msg) ? 127 : /permission denied/.test(msg) ? 126 : code;
    }
    return code;
  });
  return { output, exitCode };
}
