// A small streaming tar writer (ustar + PAX extensions). We write layer tars ourselves rather than
// through GNU tar because overlayfs whiteouts must be renamed on the way out (char device 0/0 ->
// `.wh.<name>`, opaque xattr -> `.wh..wh..opq`) and layer bytes must be deterministic for digests.
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';

export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

export interface TarEntry {
  /** Path inside the archive, without a leading "./" or "/"; directories get a trailing "/" added. */
  name: string;
  type: TarEntryType;
  mode: number;
  uid?: number;
  gid?: number;
  /** Seconds since the epoch. */
  mtime?: number;
  size?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Record<string, string>;
}

const TYPEFLAG: Record<TarEntryType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
};

function octal(buf: Buffer, off: number, len: number, value: number): void {
  const s = Math.max(0, Math.floor(value))
    .toString(8)
    .padStart(len - 1, '0');
  buf.write(s.slice(-(len - 1)), off, len - 1, 'ascii');
  buf[off + len - 1] = 0;
}

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  const bodyLen = Buffer.byteLength(body);
  let len = bodyLen + String(bodyLen).length;
  if (String(len).length !== String(len - bodyLen).length) len = bodyLen + String(len).length;
  return Buffer.from(`${len}${body}`);
}

function header(name: string, type: string, e: Partial<TarEntry>, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0, 100, 'utf8');
  octal(h, 100, 8, (e.mode ?? 0o644) & 0o7777);
  octal(h, 108, 8, Math.min(e.uid ?? 0, 0o7777777));
  octal(h, 116, 8, Math.min(e.gid ?? 0, 0o7777777));
  octal(h, 124, 12, size);
  octal(h, 136, 12, e.mtime ?? 0);
  h.write(type, 156, 1, 'ascii');
  if (e.linkname) h.write(e.linkname.slice(0, 100), 157, 100, 'utf8');
  h.write('ustar\u000000', 257, 8, 'binary');
  octal(h, 329, 8, e.devmajor ?? 0);
  octal(h, 337, 8, e.devminor ?? 0);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0'), 148, 6, 'ascii');
  h[154] = 0;
  h[155] = 0x20;
  return h;
}

const ZERO = Buffer.alloc(1024);
const SMALL_FILE = 4 << 20;

function pad(size: number): Buffer {
  const r = size % 512;
  return r === 0 ? Buffer.alloc(0) : ZERO.subarray(0, 512 - r);
}

export class TarWriter {
  private bytes = 0;
  constructor(private readonly out: Writable) {}

  get written(): number {
    return this.bytes;
  }

  private async write(chunk: Buffer): Promise<void> {
    this.bytes += chunk.length;
    if (!this.out.write(chunk)) await once(this.out, 'drain');
  }

  private async writeHeader(e: TarEntry, size: number): Promise<void> {
    const name = e.type === 'dir' && !e.name.endsWith('/') ? `${e.name}/` : e.name;
    const pax: Buffer[] = [];
    if (Buffer.byteLength(name) > 100 || /[^\x20-\x7e]/.test(name)) pax.push(paxRecord('path', name));
    if (e.linkname && (Buffer.byteLength(e.linkname) > 100 || /[^\x20-\x7e]/.test(e.linkname)))
      pax.push(paxRecord('linkpath', e.linkname));
    if (size > 0o77777777777) pax.push(paxRecord('size', String(size)));
    if ((e.uid ?? 0) > 0o7777777) pax.push(paxRecord('uid', String(e.uid)));
    if ((e.gid ?? 0) > 0o7777777) pax.push(paxRecord('gid', String(e.gid)));
    for (const [k, v] of Object.entries(e.xattrs ?? {})) pax.push(paxRecord(`SCHILY.xattr.${k}`, v));
    if (pax.length) {
      const body = Buffer.concat(pax);
      await this.write(header(`PaxHeaders/${name}`.slice(0, 99), 'x', { mode: 0o644, mtime: e.mtime }, body.length));
      await this.write(body);
      await this.write(pad(body.length));
    }
    await this.write(header(name, TYPEFLAG[e.type], e, size));
  }

  /** Add an entry; for files give either `data` or `sourcePath` (whose size must be `e.size`). */
  async add(
    e: TarEntry,
    content?: { data?: Buffer; sourcePath?: string; stream?: NodeJS.ReadableStream },
  ): Promise<void> {
    const size = e.type === 'file' ? (content?.data?.length ?? e.size ?? 0) : 0;
    await this.writeHeader(e, size);
    if (e.type !== 'file' || size === 0) return;
    if (content?.data) {
      await this.write(content.data);
    } else if (content?.sourcePath && size <= SMALL_FILE) {
      // one read for small files: far fewer stream events than createReadStream
      const data = await readFile(content.sourcePath);
      if (data.length !== size)
        throw new Error(`tar: ${e.name} changed size while being archived (${data.length} != ${size})`);
      await this.write(data);
    } else {
      const src =
        content?.stream ??
        (content?.sourcePath ? createReadStream(content.sourcePath, { highWaterMark: 1 << 20 }) : undefined);
      if (!src) throw new Error(`tar: no content for ${e.name}`);
      let n = 0;
      for await (const chunk of src as AsyncIterable<Buffer>) {
        n += chunk.length;
        if (n > size) throw new Error(`tar: ${e.name} grew while being archived`);
        await this.write(chunk);
      }
      if (n !== size) throw new Error(`tar: ${e.name} changed size while being archived (${n} != ${size})`);
    }
    await this.write(pad(size));
  }

  /** Write the end-of-archive marker and end the output stream. */
  async finish(): Promise<void> {
    await this.write(ZERO);
    this.out.end();
    if (!this.out.writableFinished) await once(this.out, 'finish');
  }
}
