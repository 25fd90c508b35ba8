// What a command gets: its streams and environment (real process streams from the bin, captured
// buffers in tests), and the API client.
import type { Readable, Writable } from 'node:stream';
import type { Client } from './client';

export interface Io {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  env: NodeJS.ProcessEnv;
  /** Where relative paths (build context, -o, -i, --env-file) resolve. */
  cwd: string;
  /** Subscribe to the signals a foreground `run` proxies to its container (absent in tests). */
  onSignal?: (handler: (signal: NodeJS.Signals) => void) => () => void;
}

export interface Ctx {
  io: Io;
  client: Client;
  host: string;
}

/** Exit with a docker-style status after printing to stderr. */
export class ExitError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
    this.name = 'ExitError';
  }
}

export function out(ctx: Ctx, s: string): void {
  ctx.io.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
}

export function err(ctx: Ctx, s: string): void {
  ctx.io.stderr.write(s.endsWith('\n') ? s : `${s}\n`);
}

/**
 * Resolve once everything written to `w` so far has left its buffer. pipeline(..., {end: false})
 * resolves when the source ends, while a pipe to a slower reader (`save | load`) may still hold
 * the archive's last chunks; the bin exits right after the command returns (only waiting when
 * needDrain is set, i.e. above the high-water mark), and those bytes were lost: load then saw
 * an archive cut before manifest.json. A write's callback runs after every earlier write's.
 */
export function flushed(w: Writable): Promise<void> {
  if (w.writableLength === 0 || w.destroyed) return Promise.resolve();
  return new Promise((done) => w.write(Buffer.alloc(0), () => done()));
}
