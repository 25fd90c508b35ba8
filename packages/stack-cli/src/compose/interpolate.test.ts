import { interpolate } from './interpolate';
import { parseDotenv } from './dotenv';

describe('compose interpolation', () => {
  const env = { TAG: 'v2', EMPTY: '', NAME: 'web' };
  test.each([
    ['image:${TAG}', 'image:v2'],
    ['image:$TAG', 'image:v2'],
    ['${MISSING:-latest}', 'latest'],
    ['${EMPTY:-fallback}', 'fallback'],
    ['${EMPTY-fallback}', ''],
    ['${MISSING-fallback}', 'fallback'],
    ['${TAG:+set}', 'set'],
    ['${EMPTY:+set}', ''],
    ['${EMPTY+set}', 'set'],
    ['cost: $$5', 'cost: $5'],
    ['${MISSING:-${NAME}-x}', 'web-x'],
    ['$ alone', '$ alone'],
  ])('%s -> %s', (input, out) => expect(interpolate(input, env)).toBe(out));

  test('${VAR?err} of an unset variable names the variable and the message', () => {
    expect(() => interpolate('${DB_PASS?set DB_PASS in .env}', env)).toThrow(
      'required variable DB_PASS is missing a value: set DB_PASS in .env',
    );
    expect(() => interpolate('${EMPTY:?must not be empty}', env)).toThrow('EMPTY');
    expect(interpolate('${EMPTY?x}', env)).toBe('');
  });

  test('malformed braces are errors, not silent text', () => {
    expect(() => interpolate('${TAG', env)).toThrow('missing closing brace');
    expect(() => interpolate('${1BAD}', env)).toThrow('invalid interpolation format');
  });
});

describe('.env files', () => {
  test('comments, export, quotes and escapes', () => {
    expect(parseDotenv('# c\nA=1\nexport B = two # note\nC="x\\ny"\nD=\'$raw\'\n\nbad line\n')).toEqual({
      A: '1',
      B: 'two',
      C: 'x\ny',
      D: '$raw',
    });
  });
});
