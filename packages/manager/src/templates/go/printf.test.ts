// fmt's printing of values and Sprintf verbs, as Go prints them.
import { sprint, sprintf, sprintln } from './printf';
import { formatFloat, goString, printValue } from './values';

test.each<[string, unknown[], string]>([
  ['%s %v', ['a', [1, 'b']], 'a [1 b]'],
  ['%d|%5d|%-5d|%05d|%+d', [1, 2, 3, 4, 5], '1|    2|3    |00004|+5'],
  ['%x %X %o %b %#x', [255, 255, 8, 5, 255], 'ff FF 10 101 0xff'],
  ['%.2f %8.3f %e %g', [3.14159, 2.5, 1234.5678, 0.000012], '3.14    2.500 1.234568e+03 1.2e-05'],
  ['%q %c %t %T %T', ['a"b', 65, false, 'x', 1.5], '"a\\"b" A false string float64'],
  ['%.3s|%10s|%-10s|', ['abcdef', 'r', 'l'], 'abc|         r|l         |'],
  ['%s %d', [null, 'x'], '%!s(<nil>) %!d(string=x)'],
  ['%z', [1], '%!z(int=1)'],
  ['%d', [], '%!d(MISSING)'],
  ['x', [1, 'a'], 'x%!(EXTRA int=1, string=a)'],
  ['100%%', [], '100%'],
])('sprintf(%j)', (format, args, expected) => {
  expect(sprintf(format, args)).toBe(expected);
});

test('Go value printing', () => {
  expect(goString({ b: [1, null], a: { c: true } })).toBe('map[a:map[c:true] b:[1 <nil>]]');
  expect(printValue(undefined)).toBe('<no value>');
  expect(printValue(null)).toBe('<no value>');
  expect(formatFloat(0.5)).toBe('0.5');
  expect(formatFloat(1e-7)).toBe('1e-07');
  expect(formatFloat(123456.5)).toBe('123456.5');
  expect(formatFloat(1234567.5)).toBe('1.2345675e+06');
  expect(sprint(['a', 1, 2, 'b'])).toBe('a1 2b');
  expect(sprintln(['a', 1])).toBe('a 1\n');
});
