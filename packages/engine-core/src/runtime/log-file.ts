// Container logs in Docker's json-file format: one {"log","stream","time"} object per line.
// The writer splits the raw stdio chunks into lines; the reader replays, tails and follows.
import { EventEmitter } from 'node:events';
import { closeSync, openSync, writeSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import type { LogEntry, LogsOptions } from './container-types';
import { parseRfc3339Nanos, rfc3339Nano } from './log-time';

/** Docker flushes a partial line once it reaches 16 KiB. */
const MAX_PARTIAL = 16 * 1024;

/**
 * Writes go straight to the file with write(2) (page cache, microseconds): every line is on disk in
 * order before the next event, so `logs` right after `wait` sees everything, with no thread-pool
 * round trips on a container's exit path.
 */
export class JsonFileLogWriter {
  /** 'written' after data reached the file; 'closed' once after close(). */
  readonly events = new EventEmitter();
  closed = false;
  private fd: number;
  private partial: Record<'stdout' | 'stderr', Buffer | null> = { stdout: null, stderr: null };

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a', 0o640);
    this.events.setMaxListeners(0);
  }

  write(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    if (this.closed) return;
    let buf = this.partial[stream] ? Buffer.concat([this.partial[stream], chunk]) : chunk;
    this.partial[stream] = null;
    let text = '';
    const time = rfc3339Nano();
    let start = 0;
    for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10, start)) {
      text += formatLine(stream, buf.subarray(start, nl + 1), time);
      start = nl + 1;
    }
    buf = buf.subarray(start);
    if (buf.length >= MAX_PARTIAL) text += formatLine(stream, buf, time);
    else if (buf.length) this.partial[stream] = Buffer.from(buf);
    if (text) this.append(text);
  }

  private append(text: string): void {
    try {
      writeSync(this.fd, text);
    } catch {
      // disk full or the container directory removed: logging must not take the daemon down
    }
    this.events.emit('written');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const time = rfc3339Nano();
    let text = '';
    for (const s of ['stdout', 'stderr'] as const) if (this.partial[s]) text += formatLine(s, this.partial[s], time);
    this.partial = { stdout: null, stderr: null };
    if (text) this.append(text);
    this.closed = true;
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    this.fd = -1;
    this.events.emit('written');
    this.events.emit('closed');
  }
}

function formatLine(stream: 'stdout' | 'stderr', line: Buffer, time: string): string {
  return JSON.stringify({ log: line.toString('utf8'), stream, time }) + '\n';
}

interface RawEntry {
  log: string;
  stream: 'stdout' | 'stderr';
  time: string;
}

function parse(line: string): LogEntry | null {
  try {
    const e = JSON.parse(line) as RawEntry;
    return { stream: e.stream, time: e.time, line: e.log };
  } catch {
    return null;
  }
}

function accept(e: LogEntry, o: LogsOptions): boolean {
  if (e.stream === 'stdout' && o.stdout === false) return false;
  if (e.stream === 'stderr' && o.stderr === false) return false;
  if (o.since !== undefined || o.until !== undefined) {
    const ns = parseRfc3339Nanos(e.time);
    if (o.since !== undefined && o.since > 0 && ns < BigInt(Math.round(o.since * 1e9))) return false;
    if (o.until !== undefined && o.until > 0 && ns > BigInt(Math.round(o.until * 1e9))) return false;
  }
  return true;
}

/**
 * Replay a json-file log (optionally only the last `tail` lines), then, with `follow` and a live
 * writer, keep yielding new lines until the writer closes or the signal aborts.
 */
export async function* readLogs(path: string, o: LogsOptions, live?: JsonFileLogWriter): AsyncGenerator<LogEntry> {
  const following = !!o.follow && !!live && !live.closed;
  // Register before reading so no write between the read and the wait is missed.
  let wake: (() => void) | null = null;
  let pending = false;
  const onWritten = () => {
    pending = true;
    wake?.();
  };
  if (following) live.events.on('written', onWritten);
  const onAbort = () => wake?.();
  o.signal?.addEventListener('abort', onAbort);
  try {
    const content = await readFile(path).catch(() => Buffer.alloc(0));
    let offset = content.lastIndexOf(10) + 1;
    const entries = content
      .subarray(0, offset)
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map(parse)
      .filter((e): e is LogEntry => !!e && accept(e, o));
    const tail =
      o.tail === undefined || o.tail === 'all' || o.tail < 0 ? entries : o.tail === 0 ? [] : entries.slice(-o.tail);
    for (const e of tail) yield e;
    if (!following) return;
    const fh = await open(path, 'r');
    try {
      let rest = '';
      for (;;) {
        if (o.signal?.aborted) return;
        const closed = live.closed;
        const buf = Buffer.alloc(64 * 1024);
        for (;;) {
          const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
          if (!bytesRead) break;
          offset += bytesRead;
          const text = rest + buf.subarray(0, bytesRead).toString('utf8');
          const lines = text.split('\n');
          rest = lines.pop() ?? '';
          for (const l of lines) {
            const e = l ? parse(l) : null;
            if (e && accept(e, o)) yield e;
          }
        }
        if (closed) return;
        if (!pending) await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
        pending = false;
      }
    } finally {
      await fh.close();
    }
  } finally {
    live?.events.off('written', onWritten);
    o.signal?.removeEventListener('abort', onAbort);
  }
}

/** `docker logs -t` prefix: the RFC3339Nano time, a space, then the line. */
export function formatLogEntry(e: LogEntry, timestamps: boolean): Buffer {
  return Buffer.from(timestamps ? `${e.time} ${e.line}` : e.line, 'utf8');
}

/** Docker's multiplexed stream frame (non-TTY attach/logs): [stream, 0, 0, 0, size32be] + payload. */
export function muxFrame(stream: 'stdin' | 'stdout' | 'stderr', payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = stream === 'stdin' ? 0 : stream === 'stdout' ? 1 : 2;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}
