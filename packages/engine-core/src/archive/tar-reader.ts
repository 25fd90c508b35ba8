// A minimal tar header reader, enough to read names, types and PAX xattrs from GNU tar's output
// (used to learn which overlay upper directories carry the opaque xattr; Node has no getxattr).

export interface TarHeaderInfo {
  name: string;
  type: string;
  size: number;
  xattrs: Record<string, string>;
}

function cstr(buf: Buffer, off: number, len: number): string {
  const end = buf.indexOf(0, off);
  return buf.toString('utf8', off, end < 0 || end > off + len ? off + len : end);
}

function parsePax(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < body.length) {
    const sp = body.indexOf(0x20, i);
    if (sp < 0) break;
    const len = parseInt(body.toString('ascii', i, sp), 10);
    if (!len) break;
    const rec = body.toString('utf8', sp + 1, i + len - 1);
    const eq = rec.indexOf('=');
    out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

/** Parse a whole (uncompressed) tar held in memory. */
export function readTarHeaders(tar: Buffer): TarHeaderInfo[] {
  const out: TarHeaderInfo[] = [];
  let off = 0;
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  while (off + 512 <= tar.length) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const size = parseInt(cstr(h, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(h[156] || 0x30);
    const bodyStart = off + 512;
    off = bodyStart + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      pax = { ...pax, ...parsePax(tar.subarray(bodyStart, bodyStart + size)) };
      continue;
    }
    if (type === 'L') {
      longName = cstr(tar, bodyStart, size);
      continue;
    }
    const prefix = cstr(h, 345, 155);
    let name = cstr(h, 0, 100);
    if (prefix) name = `${prefix}/${name}`;
    name = pax.path ?? longName ?? name;
    const xattrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(pax)) if (k.startsWith('SCHILY.xattr.')) xattrs[k.slice(13)] = v;
    out.push({ name, type, size, xattrs });
    pax = {};
    longName = undefined;
  }
  return out;
}
