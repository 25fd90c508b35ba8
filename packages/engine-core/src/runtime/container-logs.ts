// A container's output: its json-file log (docker logs) and the live output of its run (attach).
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ConflictError } from '../errors';
import { AsyncQueue } from './async-queue';
import type { Entry } from './container-entry';
import type { LogEntry, LogsOptions, OutputChunk } from './container-types';
import { readLogs } from './log-file';

/** GET /containers/{id}/logs as entries; following the current run's writer when it has one. */
export function containerLogs(e: Entry, opts: LogsOptions = {}): AsyncIterable<LogEntry> {
  return readLogs(join(e.dir, `${e.rec.id}-json.log`), opts, e.log ?? undefined);
}

/**
 * Live output of the current (or, for a created container, the next) run, ending when it exits;
 * `stdin` is piped into a container created with OpenStdin.
 */
export function attachOutput(
  e: Entry,
  opts: { stdin?: Readable; stdout?: boolean; stderr?: boolean; signal?: AbortSignal } = {},
): AsyncIterable<OutputChunk> {
  const st = e.rec.state.Status;
  if (!e.proc && st !== 'created' && st !== 'restarting')
    throw new ConflictError('You cannot attach to a stopped container, start it first');
  const q = new AsyncQueue<OutputChunk>();
  const onData = (c: OutputChunk) => {
    if ((c.stream === 'stdout' && opts.stdout !== false) || (c.stream === 'stderr' && opts.stderr !== false)) q.push(c);
  };
  const onEnd = () => finish();
  const finish = () => {
    e.output.off('data', onData);
    e.output.off('end', onEnd);
    opts.signal?.removeEventListener('abort', finish);
    q.end();
  };
  e.output.on('data', onData);
  e.output.on('end', onEnd);
  opts.signal?.addEventListener('abort', finish, { once: true });
  if (opts.stdin && e.rec.config.OpenStdin) {
    if (e.proc) e.proc.attachStdin(opts.stdin, e.rec.config.StdinOnce);
    else e.pendingStdin.push(opts.stdin);
  }
  return q;
}
