// Runs the host tools (ip, iptables, unshare, umount) with input on stdin: one spawn per batch.
import { spawn } from 'node:child_process';
import { EngineError, MissingDependencyError } from '../errors';

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

export class CommandError extends EngineError {
  constructor(
    readonly command: string,
    readonly stderr: string,
    readonly code: number | null,
  ) {
    super(`${command} failed (exit ${code}): ${stderr.trim() || 'no error output'}`);
  }
}

export interface RunOptions {
  input?: string;
  signal?: AbortSignal;
}

export function run(file: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], signal: opts.signal });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    // The child may exit before reading its input; EPIPE here is reported through the exit code.
    child.stdin.on('error', () => undefined);
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') reject(new MissingDependencyError(file, PACKAGES[file] ?? file));
      else reject(e);
    });
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString());
      else reject(new CommandError([file, ...args].join(' '), Buffer.concat(err).toString(), code));
    });
    child.stdin.end(opts.input ?? '');
  });
}
