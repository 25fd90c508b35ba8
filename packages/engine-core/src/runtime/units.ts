// Parsing of docker's human-friendly resource flags (go-units RAMInBytes, --cpus).
import { InvalidArgumentError } from '../errors';

const RAM = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/;
const MULT: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** "50M", "1g", "512k", "1024" -> bytes (binary multiples, like docker). */
export function parseMemory(value: string, flag = '-m, --memory'): number {
  const m = RAM.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`invalid argument "${value}" for "${flag}" flag: invalid size: '${value}'`);
  const n = Number(m[1]);
  const mult = m[2] ? MULT[m[2].toLowerCase()] : 1;
  if (!Number.isFinite(n) || mult === undefined)
    throw new InvalidArgumentError(`invalid argument "${value}" for "${flag}" flag: invalid size: '${value}'`);
  return Math.floor(n * mult);
}

/** "--memory-swap -1" means unlimited; otherwise a size. */
export function parseMemorySwap(value: string): number {
  return value.trim() === '-1' ? -1 : parseMemory(value, '--memory-swap');
}

/** "0.5" -> 500000000 NanoCpus. */
export function parseCpus(value: string): number {
  const v = value.trim();
  const n = /^\d*\.?\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n))
    throw new InvalidArgumentError(
      `invalid argument "${value}" for "--cpus" flag: failed to parse ${value} as a rational number`,
    );
  return Math.round(n * 1e9);
}

/** Daemon-side checks on resource values, with dockerd's messages. */
export function validateResources(
  r: {
    Memory?: number;
    MemorySwap?: number;
    NanoCpus?: number;
    PidsLimit?: number | null;
    CpuQuota?: number;
    CpuPeriod?: number;
  },
  hostCpus: number,
): void {
  if (r.Memory && r.Memory > 0 && r.Memory < 6 * 1024 * 1024)
    throw new InvalidArgumentError('Minimum memory limit allowed is 6MB');
  if (r.Memory && r.MemorySwap && r.MemorySwap > 0 && r.MemorySwap < r.Memory) {
    throw new InvalidArgumentError('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (r.MemorySwap && r.MemorySwap > 0 && !r.Memory)
    throw new InvalidArgumentError('You should always set the Memory limit when using Memoryswap limit, see usage');
  if (r.NanoCpus && (r.NanoCpus < 0.01e9 || r.NanoCpus > hostCpus * 1e9)) {
    throw new InvalidArgumentError(
      `Range of CPUs is from 0.01 to ${hostCpus}.00, as there are only ${hostCpus} CPUs available`,
    );
  }
  if (r.NanoCpus && (r.CpuQuota || r.CpuPeriod))
    throw new InvalidArgumentError('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (r.CpuPeriod && (r.CpuPeriod < 1000 || r.CpuPeriod > 1000000))
    throw new InvalidArgumentError(
      'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)',
    );
  if (r.CpuQuota && r.CpuQuota > 0 && r.CpuQuota < 1000)
    throw new InvalidArgumentError('CPU cfs quota can not be less than 1ms (i.e. 1000)');
}
