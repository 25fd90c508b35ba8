// A malformed or failing template: Go's error text, docker's prefix, never a crash.
import { renderTemplate } from './template';
import { GoTemplateError, TemplateExecError, TemplateParseError } from '@flotilla/manager';

const data = { Name: 'web', N: 3, List: ['x'], Spec: { Name: 'svc' } };
const P = 'template parsing error: template: ';

test.each<[string, string]>([
  ['{{.Name}', ':1: unexpected "}" in operand'],
  ['{{.Name', ':1: unclosed action'],
  ['{{end}}', ':1: unexpected {{end}}'],
  ['{{else}}', ':1: unexpected {{else}}'],
  ['{{if .N}}x', ':1: unexpected EOF'],
  ['{{range .List}}x', ':1: unexpected EOF'],
  ['{{foo .N}}', ':1: function "foo" not defined'],
  ['{{$x}}', ':1: undefined variable "$x"'],
  ['{{$x = 1}}', ':1: undefined variable "$x"'],
  ['{{}}', ':1: missing value for command'],
  ['{{if}}{{end}}', ':1: missing value for if'],
  ['{{range}}{{end}}', ':1: missing value for range'],
  ['{{with}}{{end}}', ':1: missing value for with'],
  ['{{"abc}}', ':1: unterminated quoted string'],
  ['{{`abc}}', ':1: unterminated raw quoted string'],
  ['{{/* x }}', ':1: unclosed comment'],
  ['{{/* x */ .Name}}', ':1: comment ends before closing delimiter'],
  ['{{.N | }}', ':1: missing command'],
  ['{{.N ^}}', ':1: unexpected "^" in operand'],
  ['{{.N | "a"}}', ':1: non executable command in pipeline stage 2'],
  ['{{(.Name}}', ':1: unclosed left paren'],
  ['{{.Name)}}', ":1: unexpected right paren U+0029 ')'"],
  ['{{3.x}}', ':1: bad number syntax: "3.x"'],
  ['{{break}}', ':1: {{break}} outside {{range}}'],
  ['{{if .N}}{{else}}{{else}}{{end}}', ':1: expected end; found {{else}}'],
  ['{{end x}}', ':1: unexpected "x" in end'],
  ['{{define "x"}}{{end}}', ':1: {{define}} is not supported in --format templates'],
  ['a\nb\n{{.Name}', ':3: unexpected "}" in operand'],
  ['{{.Name.X}}', ':1:2: executing "" at <.Name.X>: can\'t evaluate field X in type string'],
  ['{{.N 1}}', ':1:2: executing "" at <.N>: N is not a method but has arguments'],
  ['{{index .List 5}}', ':1:2: executing "" at <index .List 5>: error calling index: index out of range: 5'],
  ['{{upper 1 2}}', ':1:2: executing "" at <upper>: wrong number of args for upper: want 1 got 2'],
  ['{{lt 1 "a"}}', ':1:2: executing "" at <lt 1 "a">: error calling lt: incompatible types for comparison'],
  ['{{eq .List 1}}', ':1:2: executing "" at <eq .List 1>: error calling eq: non-comparable type'],
  ['{{len .N}}', ':1:2: executing "" at <len .N>: error calling len: len of type int'],
  ['{{range .Name}}{{end}}', ':1:8: executing "" at <.Name>: range can\'t iterate over web'],
  ['x\n  {{.Spec.Name.Y}}', ':2:4: executing "" at <.Spec.Name.Y>: can\'t evaluate field Y in type string'],
  [
    '{{join .N ","}}',
    ':1:2: executing "" at <join .N ",">: error calling join: wrong type for value; expected []string; got int',
  ],
])('%j', (format, message) => {
  let caught: unknown;
  try {
    renderTemplate(format, data);
  } catch (e) {
    caught = e;
  }
  // The CLI prints the message and exits 1 (commands/format-flag.test.ts runs it end to end).
  expect(caught).toBeInstanceOf(GoTemplateError);
  expect((caught as Error).message).toBe(P + message);
});

test('parse errors and execution errors are told apart', () => {
  expect(() => renderTemplate('{{.Name', data)).toThrow(TemplateParseError);
  expect(() => renderTemplate('{{.Name.X}}', data)).toThrow(TemplateExecError);
});

test('random templates never crash: a string or a GoTemplateError', () => {
  const seed = Number(process.env.TEMPLATE_SEED ?? Date.now() % 100000);
  console.info(`template fuzz seed ${seed}`);
  let s = seed;
  const rand = (n: number): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s % n;
  };
  const parts = [
    '{{',
    '}}',
    '{{-',
    '-}}',
    ' ',
    '.Name',
    '.N',
    '$x',
    ':=',
    '=',
    '|',
    '(',
    ')',
    '"s"',
    '`r`',
    "'c'",
    '1',
    '-2',
    '3.5',
    'if',
    'else',
    'end',
    'range',
    'with',
    'break',
    'printf',
    'index',
    'len',
    'eq',
    'and',
    'json',
    '/*',
    '*/',
    ',',
    '.',
    'nil',
    'true',
    'x',
    '\n',
    '^',
    'é',
    '.List',
    '$',
    '%d',
    'upper',
    'slice',
    'split',
  ];
  for (let k = 0; k < 3000; k++) {
    const t = Array.from({ length: 1 + rand(12) }, () => parts[rand(parts.length)]).join('');
    try {
      expect(typeof renderTemplate(t, data)).toBe('string');
    } catch (e) {
      if (!(e instanceof GoTemplateError)) throw new Error(`seed ${seed}: ${JSON.stringify(t)} threw ${String(e)}`);
    }
  }
});
