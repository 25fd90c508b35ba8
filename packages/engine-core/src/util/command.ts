// Runs host commands (tar, mount, ip, iptables, unshare, umount): one spawn per call, input on stdin
// from a string, a buffer or a stream; a missing binary names the apt package that provides it.
import { spawn } from 'node:child_process';
import { CommandError, MissingDependencyError } from '../errors';

/** The Debian/Ubuntu package of each host binary whose name differs from its package's. */
const PACKAGES: Record<string, string> = {
  ip: 'iproute2',
  unshare: 'util-linux',
  umount: 'mount',
  'iptables-nft': 'iptables',
  'iptables-legacy': 'iptables',
  'iptables-nft-restore': 'iptables',
  'iptables-legacy-restore': 'iptables',
  'iptables-nft-save': 'iptables',
  'iptables-legacy-save': 'iptables',
};

export interface CommandOptions {
  /** Fed to stdin (which is closed at once when absent). */
  input?: string | Buffer | NodeJS.ReadableStream;
  signal?: AbortSignal;
  /** The package to name when the binary is missing; default from the table above, else the binary's name. */
  aptPackage?: string;
}

export interface CommandResult {
  stdout: Buffer;
  stderr: string;
}

/** How a CommandError names the command that failed. */
type CommandText = (file: string, args: readonly string[]) => string;

function spawnCommand(
  file: string,
  args: readonly string[],
  opts: CommandOptions,
  commandText: CommandText,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], signal: opts.signal });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const input = opts.input;
    const stream = input !== undefined && typeof input !== 'string' && !Buffer.isBuffer(input) ? input : undefined;
    // If the command stops reading early (tar exits after the end-of-archive blocks, before the
    // padding), keep draining a stream input so upstream hashes see every byte. Both 'error' (a write
    // hit the closed pipe: EPIPE, reported through the exit code) and 'close' (pipe() unpipes on close
    // and leaves the source paused forever when no write was pending) must do it, or the caller
    // waits on the input for good.
    const drain = () => {
      if (stream) {
        stream.unpipe(child.stdin);
        stream.resume();
      }
    };
    child.stdin.on('error', drain);
    child.stdin.on('close', drain);
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(e.code === 'ENOENT' ? new MissingDependencyError(file, opts.aptPackage ?? PACKAGES[file] ?? file) : e);
    });
    child.on('close', (code) => {
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) resolve({ stdout: Buffer.concat(out), stderr });
      else reject(new CommandError(commandText(file, args), stderr, code));
    });
    if (stream) {
      stream.on('error', (e: Error) => {
        child.kill();
        reject(e);
      });
      stream.pipe(child.stdin);
    } else child.stdin.end(input ?? '');
  });
}

/**
 * Run a command and resolve with its stdout as text. Rejects with CommandError (naming the whole
 * command line) when it exits non-zero, with MissingDependencyError when it is not installed.
 */
export async function runCommand(file: string, args: readonly string[], opts: CommandOptions = {}): Promise<string> {
  const { stdout } = await spawnCommand(file, args, opts, (f, a) => [f, ...a].join(' '));
  return stdout.toString();
}

/**
 * Run a file tool (tar, mount) and resolve with its stdout as bytes and its stderr. Its errors
 * name only the tool and its first three arguments: the rest are temp paths that say nothing to
 * a user reading a failed build or load.
 */
export function runTool(file: string, args: readonly string[], opts: CommandOptions = {}): Promise<CommandResult> {
  return spawnCommand(file, args, opts, (f, a) => `${f} ${a.slice(0, 3).join(' ')}`);
}
