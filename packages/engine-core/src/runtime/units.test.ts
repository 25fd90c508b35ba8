import { InvalidArgumentError } from '../errors';
import { parseCpus, parseMemory, parseMemorySwap, validateResources } from './units';

describe('docker resource flag parsing', () => {
  it.each([
    ['50M', 50 * 1024 * 1024],
    ['1g', 1024 ** 3],
    ['512k', 512 * 1024],
    ['1024', 1024],
    ['1.5g', 1.5 * 1024 ** 3],
    ['100mb', 100 * 1024 * 1024],
    ['2GiB', 2 * 1024 ** 3],
  ])('parseMemory(%s) = %d', (s, n) => expect(parseMemory(s)).toBe(n));

  it('rejects invalid sizes with docker-like text', () => {
    expect(() => parseMemory('lots')).toThrow(InvalidArgumentError);
    expect(() => parseMemory('lots')).toThrow(`invalid argument "lots" for "-m, --memory" flag: invalid size: 'lots'`);
    expect(() => parseMemory('-5m')).toThrow(InvalidArgumentError);
  });

  it('parses --memory-swap -1 as unlimited', () => expect(parseMemorySwap('-1')).toBe(-1));

  it('parses --cpus into NanoCpus', () => {
    expect(parseCpus('0.1')).toBe(100_000_000);
    expect(parseCpus('1.5')).toBe(1_500_000_000);
    expect(() => parseCpus('abc')).toThrow(
      'invalid argument "abc" for "--cpus" flag: failed to parse abc as a rational number',
    );
  });

  it('validates like dockerd', () => {
    expect(() => validateResources({ Memory: 1024 }, 2)).toThrow('Minimum memory limit allowed is 6MB');
    expect(() => validateResources({ NanoCpus: 3e9 }, 2)).toThrow(
      'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available',
    );
    expect(() => validateResources({ Memory: 64 << 20, MemorySwap: 32 << 20 }, 2)).toThrow('Minimum memoryswap limit');
    expect(() => validateResources({ Memory: 64 << 20, NanoCpus: 0.5e9, PidsLimit: 10 }, 2)).not.toThrow();
  });
});
