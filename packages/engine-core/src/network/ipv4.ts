// IPv4 address arithmetic on unsigned 32-bit numbers. Pure.
import { InvalidArgumentError } from '../errors';

export interface Cidr {
  /** Network address (host bits cleared). */
  base: number;
  prefix: number;
}

export function parseIp(text: string): number {
  const parts = text.trim().split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new InvalidArgumentError(`invalid IPv4 address: ${JSON.stringify(text)}`);
  }
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0) >>> 0;
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function isIpv4(text: string): boolean {
  try {
    parseIp(text);
    return true;
  } catch {
    return false;
  }
}

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function size(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

/** Parses "a.b.c.d/n"; a bare address means /32. `strict` rejects host bits set (docker does). */
export function parseCidr(text: string, strict = false): Cidr {
  const [ip, len, extra] = text.trim().split('/');
  const prefix = len === undefined ? 32 : Number(len);
  if (
    extra !== undefined ||
    !Number.isInteger(prefix) ||
    prefix < 0 ||
    prefix > 32 ||
    (len !== undefined && !/^\d+$/.test(len))
  ) {
    throw new InvalidArgumentError(`invalid CIDR address: ${text}`);
  }
  const addr = parseIp(ip ?? '');
  const base = (addr & maskOf(prefix)) >>> 0;
  if (strict && base !== addr)
    throw new InvalidArgumentError(`invalid subnet ${text}: host bits are set, use ${formatCidr({ base, prefix })}`);
  return { base, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.base)}/${c.prefix}`;
}

export function contains(c: Cidr, ip: number): boolean {
  return (ip & maskOf(c.prefix)) >>> 0 === c.base;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  const m = maskOf(p);
  return (a.base & m) >>> 0 === (b.base & m) >>> 0;
}

/** The subnets of length `prefix` inside `pool`, in address order. */
export function* carve(pool: Cidr, prefix: number): Generator<Cidr> {
  if (prefix < pool.prefix)
    throw new InvalidArgumentError(`cannot carve /${prefix} subnets out of ${formatCidr(pool)}`);
  const step = 2 ** (32 - prefix);
  const end = pool.base + size(pool);
  for (let b = pool.base; b < end; b += step) yield { base: b >>> 0, prefix };
}
