// Demultiplex docker's stdcopy frames (8-byte header: stream, 0,0,0, be32 size) onto two writers.
import type { Readable, Writable } from 'node:stream';

export async function demux(
  src: Readable,
  stdout: Writable,
  stderr: Writable,
  tty: boolean,
  head?: Buffer,
): Promise<void> {
  if (tty) {
    if (head?.length) stdout.write(head);
    for await (const c of src as AsyncIterable<Buffer>) stdout.write(c);
    return;
  }
  let buf: Buffer = head ?? Buffer.alloc(0);
  const drain = () => {
    while (buf.length >= 8) {
      const size = buf.readUInt32BE(4);
      if (buf.length < 8 + size) break;
      const data = buf.subarray(8, 8 + size);
      (buf[0] === 2 || buf[0] === 3 ? stderr : stdout).write(data);
      buf = buf.subarray(8 + size);
    }
  };
  drain();
  for await (const c of src as AsyncIterable<Buffer>) {
    buf = buf.length ? Buffer.concat([buf, c]) : c;
    drain();
  }
}
