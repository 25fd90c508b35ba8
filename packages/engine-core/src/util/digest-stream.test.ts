import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestStream, digestOf } from './digest-stream';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const chunks = [Buffer.from('hello '), Buffer.alloc(100_000, 7), Buffer.from('world')];
const whole = Buffer.concat(chunks);

describe('DigestStream', () => {
  it('passes every byte through unchanged while hashing and counting them', async () => {
    const d = new DigestStream();
    const out: Buffer[] = [];
    const sink = new PassThrough().on('data', (c: Buffer) => out.push(c));
    await pipeline(Readable.from(chunks), d, sink);
    expect(Buffer.concat(out).equals(whole)).toBe(true);
    expect(d.size).toBe(whole.length);
    expect(d.digest()).toBe(sha(whole));
  });

  it('gives the digest of nothing for an empty stream', async () => {
    const d = new DigestStream();
    await pipeline(Readable.from([]), d, new PassThrough().resume());
    expect(d.size).toBe(0);
    expect(d.digest()).toBe(sha(Buffer.alloc(0)));
  });
});

describe('digestOf', () => {
  it('reads a stream to the end and returns its digest and size', async () => {
    await expect(digestOf(Readable.from(chunks))).resolves.toEqual({ digest: sha(whole), size: whole.length });
  });
});
