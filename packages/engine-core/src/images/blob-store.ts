// Content-addressed blobs in OCI image layout: <root>/blobs/sha256/<hex>. Every write is verified
// against its digest and lands by rename, so a reader never sees a partial blob.
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { NotFoundError } from '../errors';
import { DigestStream, digestOf } from '../util/digest-stream';
import { digestHex, sha256 } from './digest';
import { DigestMismatchError } from './errors';
import { writeFileAtomic } from './fs-util';

export class BlobStore {
  readonly dir: string;
  private readonly tmpDir: string;
  constructor(root: string) {
    this.dir = join(root, 'blobs', 'sha256');
    this.tmpDir = join(root, 'tmp');
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await mkdir(this.tmpDir, { recursive: true });
  }

  path(digest: string): string {
    return join(this.dir, digestHex(digest));
  }

  async has(digest: string): Promise<boolean> {
    try {
      await stat(this.path(digest));
      return true;
    } catch {
      return false;
    }
  }

  async size(digest: string): Promise<number> {
    return (await stat(this.path(digest))).size;
  }

  async get(digest: string): Promise<Buffer> {
    try {
      return await readFile(this.path(digest));
    } catch (e) {
      throw new NotFoundError(`blob ${digest} not found in the image store`, { cause: e });
    }
  }

  open(digest: string): NodeJS.ReadableStream {
    return createReadStream(this.path(digest));
  }

  async putBuffer(data: Buffer, expected?: string): Promise<{ digest: string; size: number }> {
    const digest = sha256(data);
    if (expected && expected !== digest) throw new DigestMismatchError(expected, digest);
    if (!(await this.has(digest))) await writeFileAtomic(this.path(digest), data);
    return { digest, size: data.length };
  }

  /** Stream into the store, hashing on the way; verified against `expected` when given. */
  async putStream(
    src: NodeJS.ReadableStream,
    opts: { expected?: string; signal?: AbortSignal } = {},
  ): Promise<{ digest: string; size: number }> {
    const tmp = join(this.tmpDir, `blob-${randomBytes(8).toString('hex')}`);
    const hasher = new DigestStream();
    try {
      await pipeline(src, hasher, createWriteStream(tmp), { signal: opts.signal });
      const digest = hasher.digest();
      if (opts.expected && opts.expected !== digest) throw new DigestMismatchError(opts.expected, digest);
      await rename(tmp, this.path(digest));
      return { digest, size: hasher.size };
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** Move an existing file into the store (its digest is computed here, never trusted). */
  async putFile(
    path: string,
    opts: { expected?: string; move?: boolean } = {},
  ): Promise<{ digest: string; size: number }> {
    if (!opts.move) return this.putStream(createReadStream(path), { expected: opts.expected });
    const { digest, size } = await digestOf(createReadStream(path));
    if (opts.expected && opts.expected !== digest) {
      await rm(path, { force: true });
      throw new DigestMismatchError(opts.expected, digest);
    }
    await rename(path, this.path(digest));
    return { digest, size };
  }

  async delete(digest: string): Promise<void> {
    await rm(this.path(digest), { force: true });
  }

  tempPath(prefix = 'tmp'): string {
    return join(this.tmpDir, `${prefix}-${randomBytes(8).toString('hex')}`);
  }
}
