// RFC3339 timestamps with nanoseconds: wall clock at load plus the monotonic clock since, so
// consecutive lines keep their order and sub-millisecond spacing.
const wall0 = BigInt(Date.now()) * 1_000_000n;
const mono0 = process.hrtime.bigint();

export function nowNanos(): bigint {
  return wall0 + (process.hrtime.bigint() - mono0);
}

/** 2026-11-23T12:47:21.123456789Z (always 9 fraction digits, like docker's RFC3339NanoFixed). */
export function rfc3339Nano(ns: bigint = nowNanos()): string {
  const ms = Number(ns / 1_000_000n);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, `.${frac}Z`);
}

/** Parse RFC3339 with any fraction length into Unix nanoseconds. */
export function parseRfc3339Nanos(s: string): bigint {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(s);
  if (!m) return BigInt(Date.parse(s) || 0) * 1_000_000n;
  const secs = BigInt(Date.parse(`${m[1]}${m[3]}`)) / 1000n;
  const frac = BigInt((m[2] ?? '').padEnd(9, '0').slice(0, 9) || '0');
  return secs * 1_000_000_000n + frac;
}
