// Snapshot files: written to a temp file, fsynced, renamed, and the directory fsynced, so a crash
// leaves either the old or the new snapshot, never half of one. A CRC covers meta and data; with
// a cipher (encryption at rest) meta and data are sealed, bound to the snapshot's term and index.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { type Snapshot, type SnapshotMeta } from '../types';
import type { RecordCipher } from './cipher';
import { SnapshotCorruptError, WalDecryptError } from './errors';
import { fsyncDir, hex16 } from './fsutil';

const MAGIC = 0x4e53_4c46; // "FLSN"
const VERSION = 1;
/** Version 2: the body is a sealed box of the version 1 body. */
const SEALED_VERSION = 2;
const NAME_RE = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/;

function snapAad(meta: { index: number; term: number }): Buffer {
  return Buffer.from(`snap:${hex16(meta.term)}-${hex16(meta.index)}`, 'utf8');
}

export class SnapshotStore {
  constructor(
    private readonly dir: string,
    private readonly cipher?: RecordCipher,
  ) {}

  fileFor(meta: { index: number; term: number }): string {
    return path.join(this.dir, `${hex16(meta.term)}-${hex16(meta.index)}.snap`);
  }

  async save(snap: Snapshot): Promise<void> {
    await fsp.mkdir(this.dir, { recursive: true });
    const meta = Buffer.from(JSON.stringify(snap.meta), 'utf8');
    let body: Buffer = Buffer.allocUnsafe(4 + meta.length + snap.data.length);
    body.writeUInt32LE(meta.length, 0);
    meta.copy(body, 4);
    body.set(snap.data, 4 + meta.length);
    if (this.cipher) body = this.cipher.seal(body, snapAad(snap.meta));
    const head = Buffer.allocUnsafe(12);
    head.writeUInt32LE(MAGIC, 0);
    head.writeUInt32LE(this.cipher ? SEALED_VERSION : VERSION, 4);
    head.writeUInt32LE(crc32(body), 8);
    const file = this.fileFor(snap.meta);
    const tmp = `${file}.tmp`;
    const fh = await fsp.open(tmp, 'w');
    try {
      await fh.writev([head, body]);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, file);
    await fsyncDir(this.dir);
  }

  /**
   * Loads the snapshot the WAL names as current; any damage is fatal (it is the only copy).
   * `sealed` says whether the file was encrypted (a plaintext one is re-saved sealed by the caller).
   */
  async load(marker: { index: number; term: number }): Promise<Snapshot & { sealed: boolean }> {
    const file = this.fileFor(marker);
    let buf: Buffer;
    try {
      buf = await fsp.readFile(file);
    } catch (e) {
      throw new SnapshotCorruptError(file, `cannot read it: ${(e as Error).message}`);
    }
    if (buf.length < 16 || buf.readUInt32LE(0) !== MAGIC)
      throw new SnapshotCorruptError(file, 'not a flotilla snapshot file');
    const version = buf.readUInt32LE(4);
    if (version !== VERSION && version !== SEALED_VERSION)
      throw new SnapshotCorruptError(file, `unknown version ${version}`);
    let body: Buffer = buf.subarray(12);
    if (crc32(body) !== buf.readUInt32LE(8)) throw new SnapshotCorruptError(file, 'checksum mismatch');
    if (version === SEALED_VERSION) {
      if (!this.cipher) throw new WalDecryptError(file, 12, 'the snapshot is encrypted and no data key was given');
      try {
        body = this.cipher.open(body, snapAad(marker));
      } catch {
        throw new WalDecryptError(file, 12, 'the snapshot does not decrypt with this data key (wrong key, or altered)');
      }
    }
    const metaLen = body.readUInt32LE(0);
    let meta: SnapshotMeta;
    try {
      meta = JSON.parse(body.subarray(4, 4 + metaLen).toString('utf8')) as SnapshotMeta;
    } catch {
      throw new SnapshotCorruptError(file, 'unreadable metadata');
    }
    if (meta.index !== marker.index || meta.term !== marker.term) {
      throw new SnapshotCorruptError(file, `holds ${meta.term}/${meta.index}, expected ${marker.term}/${marker.index}`);
    }
    return { meta, data: new Uint8Array(body.subarray(4 + metaLen)), sealed: version === SEALED_VERSION };
  }

  /** Removes temp files and all snapshots except `keep` (the current one) and newer. */
  async prune(keep: { index: number; term: number }): Promise<void> {
    let names: string[];
    try {
      names = await fsp.readdir(this.dir);
    } catch {
      return;
    }
    for (const n of names) {
      const m = NAME_RE.exec(n);
      const stale = n.endsWith('.tmp') || (m?.[2] !== undefined && parseInt(m[2], 16) < keep.index);
      if (stale) await fsp.rm(path.join(this.dir, n), { force: true });
    }
  }
}
