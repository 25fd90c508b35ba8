import { type FlagSpec, UsageError, parseArgs } from './args';

const SPECS: FlagSpec[] = [
  { name: 'detach', short: 'd', type: 'bool' },
  { name: 'interactive', short: 'i', type: 'bool' },
  { name: 'tty', short: 't', type: 'bool' },
  { name: 'publish', short: 'p', type: 'list' },
  { name: 'env', short: 'e', type: 'list' },
  { name: 'name', type: 'string' },
  { name: 'memory', short: 'm', type: 'string' },
];

describe('parseArgs (pflag rules, as docker parses)', () => {
  test('combined short booleans: -it, -dit', () => {
    expect(parseArgs(['-it', 'img'], SPECS).flags).toEqual({ interactive: true, tty: true });
    expect(parseArgs(['-dit'], SPECS).flags).toEqual({ detach: true, interactive: true, tty: true });
  });

  test('a short flag taking a value ends its group: -dp 80:80, -p80:80, -p=80', () => {
    expect(parseArgs(['-dp', '8080:80', 'img'], SPECS)).toEqual({
      flags: { detach: true, publish: ['8080:80'] },
      positionals: ['img'],
    });
    expect(parseArgs(['-p8080:80'], SPECS).flags).toEqual({ publish: ['8080:80'] });
    expect(parseArgs(['-p=8080:80'], SPECS).flags).toEqual({ publish: ['8080:80'] });
    expect(parseArgs(['-dm', '64m'], SPECS).flags).toEqual({ detach: true, memory: '64m' });
  });

  test('--flag=value, --flag value, repeated list flags keep their order', () => {
    expect(parseArgs(['--name=web', '-e', 'A=1', '--env', 'B=2', '-eC=3', '--publish=1:1'], SPECS).flags).toEqual({
      name: 'web',
      env: ['A=1', 'B=2', 'C=3'],
      publish: ['1:1'],
    });
    expect(parseArgs(['--name', 'web'], SPECS).flags).toEqual({ name: 'web' });
  });

  test('--bool=false and a value that looks like a flag', () => {
    expect(parseArgs(['--detach=false'], SPECS).flags).toEqual({ detach: false });
    expect(parseArgs(['--name', '-x'], SPECS).flags).toEqual({ name: '-x' });
    expect(() => parseArgs(['--detach=maybe'], SPECS)).toThrow('invalid argument "maybe" for "-d, --detach" flag');
  });

  test('`--` ends flags; a lone `-` is a positional (stdin)', () => {
    expect(parseArgs(['-d', '--', '-it', 'x'], SPECS)).toEqual({ flags: { detach: true }, positionals: ['-it', 'x'] });
    expect(parseArgs(['-', 'repo:tag'], SPECS).positionals).toEqual(['-', 'repo:tag']);
  });

  test('interspersed flags by default; run-style parsing stops at the first positional', () => {
    expect(parseArgs(['a', '-d', 'b'], SPECS)).toEqual({ flags: { detach: true }, positionals: ['a', 'b'] });
    expect(parseArgs(['-d', 'img', 'sh', '-c', 'echo -e hi'], SPECS, { interspersed: false })).toEqual({
      flags: { detach: true },
      positionals: ['img', 'sh', '-c', 'echo -e hi'],
    });
  });

  test('unknown flags and missing values are usage errors with docker texts', () => {
    expect(() => parseArgs(['--nope'], SPECS)).toThrow(new UsageError('unknown flag: --nope'));
    expect(() => parseArgs(['-x'], SPECS)).toThrow("unknown shorthand flag: 'x' in -x");
    expect(() => parseArgs(['--name'], SPECS)).toThrow('flag needs an argument: --name');
    expect(() => parseArgs(['-p'], SPECS)).toThrow("flag needs an argument: 'p' in -p");
  });
});
