// A pass-through stream that sha256-hashes and counts the bytes flowing through it: blob digests
// and layer diff IDs are computed on the way to disk or to tar, never by reading a file back.
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export class DigestStream extends Transform {
  private readonly hash = createHash('sha256');
  /** Bytes that have passed so far. */
  size = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    cb(null, chunk);
  }

  /** "sha256:<hex>" of every byte that passed; call once, after the stream has finished. */
  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}

/** The sha256 digest and size of everything `src` yields (it is read to the end). */
export async function digestOf(src: NodeJS.ReadableStream): Promise<{ digest: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const c of src as AsyncIterable<Buffer>) {
    h.update(c);
    size += c.length;
  }
  return { digest: `sha256:${h.digest('hex')}`, size };
}
