import { BuildError } from '../errors';
import { IgnoreMatcher, parseDockerignore } from './dockerignore';
import { parseDockerfile } from './parser';
import { expandWord, expandWords, parseKeyValues } from './shell-lex';

describe('parseDockerfile', () => {
  it('reads instructions with their line numbers, skipping comments and blank lines', () => {
    const df = parseDockerfile(
      '# a comment\n\nFROM scratch\n  # indented comment\nenv A=1\nCMD ["/bin/sh", "-c", "echo hi"]\n',
    );
    expect(df.instructions.map((i) => [i.cmd, i.line])).toEqual([
      ['FROM', 3],
      ['ENV', 5],
      ['CMD', 6],
    ]);
    expect(df.instructions[2]?.json).toEqual(['/bin/sh', '-c', 'echo hi']);
    expect(df.instructions[1]?.json).toBeUndefined();
  });

  it('joins line continuations and drops comment lines inside them', () => {
    const df = parseDockerfile('FROM scratch\nRUN echo a && \\\n# inside\n    echo b \\\n  && echo c\nUSER 1000\n');
    expect(df.instructions[1]?.rest).toBe('echo a &&     echo b   && echo c');
    expect(df.instructions[1]?.line).toBe(2);
    expect(df.instructions[2]?.line).toBe(6);
  });

  it('honours the escape parser directive (backtick) and ignores directives after a comment', () => {
    const df = parseDockerfile('# escape=`\nFROM scratch\nRUN dir c:\\ `\n  && echo x\n');
    expect(df.escape).toBe('`');
    expect(df.instructions[1]?.rest).toBe('dir c:\\   && echo x');
    const late = parseDockerfile('# hello\n# escape=`\nFROM scratch\n');
    expect(late.escape).toBe('\\');
  });

  it('ignores a UTF-8 byte order mark and CRLF line ends', () => {
    const df = parseDockerfile('\uFEFFFROM scratch\r\nCMD ["a"]\r\n');
    expect(df.instructions.map((i) => i.cmd)).toEqual(['FROM', 'CMD']);
    expect(df.instructions[1]?.json).toEqual(['a']);
  });

  it('takes flags before the arguments', () => {
    const df = parseDockerfile('FROM scratch\nCOPY --chown=1:2 a b /dst/\n');
    expect(df.instructions[1]?.flags).toEqual({ chown: '1:2' });
    expect(df.instructions[1]?.rest).toBe('a b /dst/');
  });

  it('names the file and line of an unknown instruction', () => {
    const text = 'FROM scratch\n\n\n\n\nENV A=1\nCOPPY a b\n';
    expect(() => parseDockerfile(text)).toThrow(BuildError);
    expect(() => parseDockerfile(text)).toThrow('Dockerfile:7: unknown instruction: COPPY');
  });

  it('rejects COPY with one argument, naming its line', () => {
    expect(() => parseDockerfile('FROM scratch\nCOPY onlyone\n')).toThrow(
      /^Dockerfile:2: COPY requires at least two arguments/,
    );
  });
});

describe('variable substitution', () => {
  const env: Record<string, string> = { A: 'alpha', EMPTY: '' };
  const look = (n: string) => env[n];
  it('expands $VAR, ${VAR} and the default/alternative forms', () => {
    expect(expandWord('$A/${A}x', look)).toBe('alpha/alphax');
    expect(expandWord('${MISSING:-def}', look)).toBe('def');
    expect(expandWord('${EMPTY:-def}', look)).toBe('def');
    expect(expandWord('${EMPTY-def}', look)).toBe('');
    expect(expandWord('${A:+set}', look)).toBe('set');
    expect(expandWord('${MISSING:+set}', look)).toBe('');
    expect(expandWord('${MISSING:-$A}', look)).toBe('alpha');
  });
  it('keeps single-quoted text literal and honours escapes', () => {
    expect(expandWord("'$A'", look)).toBe('$A');
    expect(expandWord('"$A b"', look)).toBe('alpha b');
    expect(expandWord('\\$A', look)).toBe('$A');
  });
  it('parses ENV key=value lists with quotes, and the legacy form', () => {
    expect(parseKeyValues('X="hello world" Y=$A Z=a\\ b', look)).toEqual([
      ['X', 'hello world'],
      ['Y', 'alpha'],
      ['Z', 'a b'],
    ]);
    expect(parseKeyValues('X hello world', look)).toEqual([['X', 'hello world']]);
  });
  it('splits shell-form argument lists', () => {
    expect(expandWords('$A "b c" d', look)).toEqual(['alpha', 'b c', 'd']);
  });
});

describe('.dockerignore', () => {
  // [file, path, ignored]: excludes matches and everything below them; globs and **; ! re-includes;
  // the last match wins.
  const cases: [string, [string, boolean][]][] = [
    [
      '# comment\nnode_modules\n*.log\n!keep.log\n**/secret*\ndocs/\n',
      [
        ['node_modules', true],
        ['node_modules/x/index.js', true],
        ['a.log', true],
        ['keep.log', false],
        ['sub/a.log', false],
        ['deep/er/secret.txt', true],
        ['docs/readme.md', true],
        ['src/app.ts', false],
      ],
    ],
    [
      '# comment\n*.key\nnode_modules\n**/*.log\nbuild/\n!build/keep.txt\n',
      [
        ['secret.key', true],
        ['sub/secret.key', false],
        ['node_modules/x/index.js', true],
        ['a/b/c.log', true],
        ['c.log', true],
        ['build/out.js', true],
        ['build/keep.txt', false],
        ['src/index.ts', false],
      ],
    ],
  ];
  it.each(cases)('%j', (file, paths) => {
    const m = new IgnoreMatcher(parseDockerignore(file));
    for (const [path, ignored] of paths) expect([path, m.ignores(path)]).toEqual([path, ignored]);
  });
});
