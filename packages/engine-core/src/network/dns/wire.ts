// The DNS wire format (RFC 1035 section 4) for the embedded server: read a query, write an answer.
// Pure: bytes in, bytes out. Anything malformed raises DnsWireError, which the server turns into
// FORMERR (or drops, when not even the 12-byte header is there).
import { EngineError } from '../../errors';

export const TYPE = { A: 1, PTR: 12, AAAA: 28, OPT: 41, ANY: 255 } as const;
export const CLASS_IN = 1;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

/** Plain DNS over UDP without EDNS (RFC 1035 section 4.2.1). */
export const UDP_PAYLOAD = 512;
const HEADER = 12;
const MAX_NAME = 255;

export class DnsWireError extends EngineError {
  /** The query ID when the header could be read (the server answers FORMERR with it). */
  constructor(
    message: string,
    readonly id?: number,
  ) {
    super(`malformed DNS message: ${message}`, 400);
  }
}

export interface DnsQuestionWire {
  /** Lowercased (ASCII only, as DNS compares), without the trailing dot; "" for the root. */
  name: string;
  /** The name's bytes as sent (echoed in the answer's question section: case preserved, RFC 4343). */
  raw: Buffer;
  type: number;
  class: number;
}

export interface DnsQuery {
  id: number;
  opcode: number;
  /** Recursion desired: echoed in the answer. */
  rd: boolean;
  /** The checking-disabled bit, echoed too. */
  cd: boolean;
  questions: DnsQuestionWire[];
  /** The requestor's UDP payload size from an EDNS OPT record (RFC 6891), or undefined without one. */
  ednsPayload?: number;
}

/** The 16-bit ID of a message, or undefined when it is shorter than that. */
export function peekId(msg: Buffer): number | undefined {
  return msg.length >= 2 ? msg.readUInt16BE(0) : undefined;
}

/** Whether the QR bit says this is a response (the server never answers those: no reflection loops). */
export function isResponse(msg: Buffer): boolean {
  return msg.length >= 3 && (msg.readUInt8(2) & 0x80) !== 0;
}

/** Reads a (possibly compressed) name at `off`; returns it and the offset after it in the message. */
function readName(msg: Buffer, off: number, id: number): { labels: Buffer[]; next: number } {
  const labels: Buffer[] = [];
  let total = 0;
  let next = -1;
  let jumps = 0;
  for (;;) {
    if (off >= msg.length) throw new DnsWireError('name runs past the end', id);
    const len = msg.readUInt8(off);
    if ((len & 0xc0) === 0xc0) {
      if (off + 1 >= msg.length) throw new DnsWireError('compression pointer cut short', id);
      // Only backwards pointers, and a bounded number of them: a loop cannot spin the server.
      const target = ((len & 0x3f) << 8) | msg.readUInt8(off + 1);
      if (target >= off || ++jumps > 32) throw new DnsWireError('bad compression pointer', id);
      if (next < 0) next = off + 2;
      off = target;
      continue;
    }
    if ((len & 0xc0) !== 0) throw new DnsWireError(`unknown label type 0x${len.toString(16)}`, id);
    if (len === 0) {
      return { labels, next: next < 0 ? off + 1 : next };
    }
    if (off + 1 + len > msg.length) throw new DnsWireError('label runs past the end', id);
    total += len + 1;
    if (total > MAX_NAME) throw new DnsWireError('name longer than 255 bytes', id);
    labels.push(msg.subarray(off + 1, off + 1 + len));
    off += 1 + len;
  }
}

function encodeLabels(labels: Buffer[]): Buffer {
  return Buffer.concat([...labels.flatMap((l) => [Buffer.from([l.length]), l]), Buffer.from([0])]);
}

/** ASCII-only lowercasing (RFC 4343); other bytes stay as they are. */
function lowerAscii(labels: Buffer[]): string {
  return labels.map((l) => l.toString('latin1').replace(/[A-Z]+/g, (s) => s.toLowerCase())).join('.');
}

/** Skips one resource record; returns the offset after it and its type and class fields. */
function skipRecord(
  msg: Buffer,
  off: number,
  id: number,
): { next: number; type: number; klass: number; ttl: number; rdata: Buffer; rdataOff: number } {
  const { next } = readName(msg, off, id);
  if (next + 10 > msg.length) throw new DnsWireError('resource record cut short', id);
  const type = msg.readUInt16BE(next);
  const klass = msg.readUInt16BE(next + 2);
  const ttl = msg.readUInt32BE(next + 4);
  const rdlen = msg.readUInt16BE(next + 8);
  if (next + 10 + rdlen > msg.length) throw new DnsWireError('record data runs past the end', id);
  return {
    next: next + 10 + rdlen,
    type,
    klass,
    ttl,
    rdata: msg.subarray(next + 10, next + 10 + rdlen),
    rdataOff: next + 10,
  };
}

/** Parses a query. Throws DnsWireError on anything malformed (with the ID when there was one). */
export function parseQuery(msg: Buffer): DnsQuery {
  if (msg.length < HEADER) throw new DnsWireError(`${msg.length} bytes, shorter than a header`, peekId(msg));
  const id = msg.readUInt16BE(0);
  const flags = msg.readUInt16BE(2);
  const qd = msg.readUInt16BE(4);
  const an = msg.readUInt16BE(6);
  const ns = msg.readUInt16BE(8);
  const ar = msg.readUInt16BE(10);
  const questions: DnsQuestionWire[] = [];
  let off = HEADER;
  for (let i = 0; i < qd; i++) {
    const start = off;
    const { labels, next } = readName(msg, off, id);
    if (next + 4 > msg.length) throw new DnsWireError('question cut short', id);
    questions.push({
      name: lowerAscii(labels),
      raw: next === start + encodedLength(labels) ? msg.subarray(start, next) : encodeLabels(labels),
      type: msg.readUInt16BE(next),
      class: msg.readUInt16BE(next + 2),
    });
    off = next + 4;
  }
  for (let i = 0; i < an + ns; i++) off = skipRecord(msg, off, id).next;
  let ednsPayload: number | undefined;
  for (let i = 0; i < ar; i++) {
    const r = skipRecord(msg, off, id);
    // OPT: the class field carries the requestor's payload size (RFC 6891 section 6.1.2); below 512 means 512.
    if (r.type === TYPE.OPT) ednsPayload = Math.max(UDP_PAYLOAD, r.klass);
    off = r.next;
  }
  return {
    id,
    opcode: (flags >> 11) & 0xf,
    rd: (flags & 0x0100) !== 0,
    cd: (flags & 0x0010) !== 0,
    questions,
    ednsPayload,
  };
}

function encodedLength(labels: Buffer[]): number {
  return labels.reduce((n, l) => n + l.length + 1, 1);
}

export interface DnsAnswerSpec {
  id: number;
  rcode: number;
  rd?: boolean;
  cd?: boolean;
  /** Authoritative: set for the names the server owns (containers, aliases, sources). */
  aa?: boolean;
  /** Echoed question (omitted in a FORMERR whose question could not be read). */
  question?: DnsQuestionWire;
  /** IPv4 addresses (A records) or, with `ptr`, one target name. */
  addresses?: string[];
  ptr?: string;
  ttl?: number;
  /** Answers beyond this size are cut at a record boundary and TC is set (UDP); 65535 for TCP. */
  maxSize?: number;
}

/** Writes a dotted IPv4 address as 4 bytes at `off` (a hand-rolled parse: this is the hot path). */
function writeIpv4(buf: Buffer, off: number, ip: string): void {
  let part = 0;
  let digits = 0;
  let n = 0;
  for (let i = 0; i <= ip.length; i++) {
    const c = i < ip.length ? ip.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || part > 255 || n > 3) throw new DnsWireError(`not an IPv4 address: ${ip}`);
      buf[off + n++] = part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      part = part * 10 + (c - 48);
      digits++;
    } else {
      throw new DnsWireError(`not an IPv4 address: ${ip}`);
    }
  }
  if (n !== 4) throw new DnsWireError(`not an IPv4 address: ${ip}`);
}

function nameBytes(name: string): Buffer {
  const labels = name
    .replace(/\.$/, '')
    .split('.')
    .filter(Boolean)
    .map((l) => Buffer.from(l, 'latin1'));
  if (labels.some((l) => l.length > 63)) throw new DnsWireError(`label longer than 63 bytes in ${name}`);
  return encodeLabels(labels);
}

const RR_FIXED = 12; // owner pointer (2), type, class, TTL, rdlength

/**
 * Builds an answer in one buffer. Records point at the question's name (a compression pointer to
 * offset 12); those beyond `maxSize` are left out at a record boundary, with TC set.
 */
export function buildAnswer(a: DnsAnswerSpec): Buffer {
  const maxSize = a.maxSize ?? UDP_PAYLOAD;
  const ttl = a.ttl ?? 0;
  const q = a.question;
  const addresses = q ? (a.addresses ?? []) : [];
  const target = q && a.ptr !== undefined ? nameBytes(a.ptr) : undefined;
  const questionSize = q ? q.raw.length + 4 : 0;
  let size = HEADER + questionSize;
  let fitA = 0;
  while (fitA < addresses.length && size + RR_FIXED + 4 <= maxSize) {
    size += RR_FIXED + 4;
    fitA++;
  }
  const fitPtr = target !== undefined && fitA === addresses.length && size + RR_FIXED + target.length <= maxSize;
  if (fitPtr) size += RR_FIXED + (target as Buffer).length;
  const tc = fitA < addresses.length || (target !== undefined && !fitPtr);
  const buf = Buffer.allocUnsafe(size);
  buf.writeUInt16BE(a.id, 0);
  // QR=1, opcode 0, AA, TC, RD echoed, RA=1 (the server recurses for names it does not own), CD echoed.
  buf.writeUInt16BE(
    0x8000 |
      (a.aa ? 0x0400 : 0) |
      (tc ? 0x0200 : 0) |
      (a.rd ? 0x0100 : 0) |
      0x0080 |
      (a.cd ? 0x0010 : 0) |
      (a.rcode & 0xf),
    2,
  );
  buf.writeUInt16BE(q ? 1 : 0, 4);
  buf.writeUInt16BE(fitA + (fitPtr ? 1 : 0), 6);
  buf.writeUInt32BE(0, 8);
  let off = HEADER;
  if (q) {
    off += q.raw.copy(buf, off);
    off = buf.writeUInt16BE(q.type, off);
    off = buf.writeUInt16BE(q.class, off);
  }
  const record = (type: number, rdlen: number) => {
    buf[off] = 0xc0;
    buf[off + 1] = HEADER;
    buf.writeUInt16BE(type, off + 2);
    buf.writeUInt16BE(CLASS_IN, off + 4);
    buf.writeUInt32BE(ttl, off + 6);
    buf.writeUInt16BE(rdlen, off + 10);
    off += RR_FIXED;
  };
  for (const address of addresses.slice(0, fitA)) {
    record(TYPE.A, 4);
    writeIpv4(buf, off, address);
    off += 4;
  }
  if (fitPtr) {
    record(TYPE.PTR, (target as Buffer).length);
    off += (target as Buffer).copy(buf, off);
  }
  return buf;
}

/** Header-only answer to a message whose question could not be read (FORMERR) or cannot be served. */
export function buildError(id: number, rcode: number, question?: DnsQuestionWire, rd = false): Buffer {
  return buildAnswer({ id, rcode, question, rd });
}

/** 4.3.2.1 -> "1.2.3.4" for names under in-addr.arpa, else undefined. */
export function reverseAddress(name: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa$/.exec(name);
  if (!m) return undefined;
  const parts = [m[4], m[3], m[2], m[1]].map(Number);
  return parts.every((p) => p <= 255) ? parts.join('.') : undefined;
}

/** Builds a query (tests, the bench and the forwarder's own probes). */
export function buildQuery(
  id: number,
  name: string,
  type: number = TYPE.A,
  opts: { rd?: boolean; edns?: number } = {},
): Buffer {
  const header = Buffer.alloc(HEADER);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(opts.rd === false ? 0 : 0x0100, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(opts.edns ? 1 : 0, 10);
  const q = Buffer.concat([nameBytes(name), Buffer.from([type >> 8, type & 255, 0, CLASS_IN])]);
  const opt = opts.edns
    ? Buffer.from([0, 0, TYPE.OPT, opts.edns >> 8, opts.edns & 255, 0, 0, 0, 0, 0, 0])
    : Buffer.alloc(0);
  return Buffer.concat([header, q, opt]);
}

export interface DnsResponseView {
  id: number;
  rcode: number;
  aa: boolean;
  tc: boolean;
  questions: DnsQuestionWire[];
  /** A records' addresses and PTR targets in the answer section, with their TTLs. */
  answers: { type: number; ttl: number; data: string }[];
}

/** Reads an answer (tests and the bench check what the server said). */
export function parseResponse(msg: Buffer): DnsResponseView {
  if (msg.length < HEADER) throw new DnsWireError(`${msg.length} bytes, shorter than a header`, peekId(msg));
  const id = msg.readUInt16BE(0);
  const flags = msg.readUInt16BE(2);
  const qd = msg.readUInt16BE(4);
  const an = msg.readUInt16BE(6);
  const questions: DnsQuestionWire[] = [];
  let off = HEADER;
  for (let i = 0; i < qd; i++) {
    const { labels, next } = readName(msg, off, id);
    if (next + 4 > msg.length) throw new DnsWireError('question cut short', id);
    questions.push({
      name: lowerAscii(labels),
      raw: msg.subarray(off, next),
      type: msg.readUInt16BE(next),
      class: msg.readUInt16BE(next + 2),
    });
    off = next + 4;
  }
  const answers: DnsResponseView['answers'] = [];
  for (let i = 0; i < an; i++) {
    const r = skipRecord(msg, off, id);
    let data = r.rdata.toString('hex');
    if (r.type === TYPE.A && r.rdata.length === 4) data = [...r.rdata].join('.');
    else if (r.type === TYPE.PTR) data = lowerAscii(readName(msg, r.rdataOff, id).labels);
    answers.push({ type: r.type, ttl: r.ttl, data });
    off = r.next;
  }
  return { id, rcode: flags & 0xf, aa: (flags & 0x0400) !== 0, tc: (flags & 0x0200) !== 0, questions, answers };
}
