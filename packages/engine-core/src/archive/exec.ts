import { spawn } from 'node:child_process';
import { MissingDependencyError } from '../errors';

export interface RunResult {
  stdout: Buffer;
  stderr: string;
}

/**
 * Run a host tool; optionally feed stdin from a buffer or stream. Rejects with the tool's stderr
 * when it exits non-zero, and with MissingDependencyError when it is not installed.
 */
export function runTool(
  cmd: string,
  args: string[],
  opts: { input?: Buffer | NodeJS.ReadableStream; signal?: AbortSignal; aptPackage?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], signal: opts.signal });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    // If the tool stops reading early (tar exits after the end-of-archive blocks, before the
    // padding), keep draining the input so upstream hashes see every byte. Both 'error' (a write
    // hit the closed pipe) and 'close' (pipe() unpipes on close and leaves the source paused
    // forever when no write was pending) must do it, or the caller waits on the input for good.
    const drain = () => {
      const input = opts.input;
      if (input && !Buffer.isBuffer(input)) {
        input.unpipe(child.stdin);
        input.resume();
      }
    };
    child.stdin.on('error', drain);
    child.stdin.on('close', drain);
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(e.code === 'ENOENT' ? new MissingDependencyError(cmd, opts.aptPackage ?? cmd) : e);
    });
    child.on('close', (code) => {
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) resolve({ stdout: Buffer.concat(out), stderr });
      else reject(new Error(`${cmd} ${args.slice(0, 3).join(' ')} failed (exit ${code}): ${stderr.trim()}`));
    });
    const input = opts.input;
    if (Buffer.isBuffer(input)) child.stdin.end(input);
    else if (input) {
      input.on('error', (e: Error) => {
        child.kill();
        reject(e);
      });
      input.pipe(child.stdin);
    } else child.stdin.end();
  });
}
