// Docker's stdcopy framing for non-TTY streams: an 8-byte header [stream, 0, 0, 0, size(be32)]
// then the payload. stream: 0 stdin, 1 stdout, 2 stderr, 3 system error.
export const STDOUT = 1;
export const STDERR = 2;

export function frame(stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

/** Incremental demultiplexer: feed bytes, get (stream, payload) frames back. */
export class StdcopyDecoder {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): { stream: number; data: Buffer }[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: { stream: number; data: Buffer }[] = [];
    while (this.buf.length >= 8) {
      const size = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + size) break;
      out.push({ stream: this.buf[0] ?? 1, data: this.buf.subarray(8, 8 + size) });
      this.buf = this.buf.subarray(8 + size);
    }
    return out;
  }

  /** Bytes left over that did not form a whole frame. */
  get pending(): number {
    return this.buf.length;
  }
}
