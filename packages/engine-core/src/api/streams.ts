// Writing long-lived responses: docker's JSON progress lines and stdcopy-framed process output,
// with backpressure, stopping when the client goes away.
import type { ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import type { LogChunk, ProgressSink } from './backend';
import { frame, STDERR, STDOUT } from './stdcopy';

/** Start a streamed JSON response and return a sink writing one message per line. */
export function jsonLines(res: ServerResponse): ProgressSink {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  return (msg) => {
    if (!res.destroyed) res.write(`${JSON.stringify(msg)}\r\n`);
  };
}

async function writeWithBackpressure(out: Writable, data: Buffer): Promise<void> {
  if (out.destroyed) return;
  if (!out.write(data)) {
    await new Promise<void>((resolve) => {
      const done = () => {
        out.off('drain', done);
        out.off('close', done);
        resolve();
      };
      out.on('drain', done);
      out.on('close', done);
    });
  }
}

/** Copy process output to `out`, framed unless the process has a TTY. */
export async function pipeOutput(chunks: AsyncIterable<LogChunk>, out: Writable, tty: boolean): Promise<void> {
  for await (const c of chunks) {
    if (out.destroyed) break;
    await writeWithBackpressure(out, tty ? c.data : frame(c.stream === 'stderr' ? STDERR : STDOUT, c.data));
  }
}
