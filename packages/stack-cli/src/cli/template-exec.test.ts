// Each --format construct docker users type, rendered as Go's text/template and docker's functions do.
import { renderTemplate } from './template';

const data = {
  ID: 'abc123',
  Name: 'web',
  Spec: { Name: 'svc', Labels: { zeta: '2', alpha: '1' }, Mode: { Replicated: { Replicas: 3 } } },
  List: ['x', 'y', 'z'],
  Empty: [],
  N: 3,
  F: 1.5,
  Big: 1234567.5,
  Zero: 0,
  Nil: null,
  Yes: true,
  Ports: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }] },
  Tasks: [
    { Name: 'a', State: 'running' },
    { Name: 'b', State: 'failed' },
  ],
};

test.each<[string, string, string]>([
  // fields on dot and on variables
  ['field', '{{.Name}}', 'web'],
  ['nested field', '{{.Spec.Name}}', 'svc'],
  ['deep field', '{{.Spec.Mode.Replicated.Replicas}}', '3'],
  ['$ is the root', '{{with .Spec}}{{$.Name}}/{{.Name}}{{end}}', 'web/svc'],
  ['variable field', '{{$s := .Spec}}{{$s.Name}}', 'svc'],
  ['missing field', '{{.Missing}}', '<no value>'],
  ['field of a missing field', '{{.Missing.Deeper}}', '<no value>'],
  ['null field', '{{.Nil}}', '<no value>'],
  ['literal text and escapes', 'id={{.ID}}\\tname={{.Name}}\\n', 'id=abc123\tname=web\n'],
  // printing values like Go
  ['map sorted by key', '{{.Spec.Labels}}', 'map[alpha:1 zeta:2]'],
  ['slice', '{{.List}}', '[x y z]'],
  ['slice of maps', '{{.Tasks}}', '[map[Name:a State:running] map[Name:b State:failed]]'],
  ['null inside a slice', '{{split "a" "b" | len}} {{index (slice .List 0 1) 0}}', '1 x'],
  ['integer', '{{.N}}', '3'],
  ['float', '{{.F}}', '1.5'],
  ['large float as %g', '{{.Big}}', '1.2345675e+06'],
  ['bool', '{{.Yes}}', 'true'],
  // range
  ['range', '{{range .List}}[{{.}}]{{end}}', '[x][y][z]'],
  ['range with index', '{{range $i, $e := .List}}{{$i}}={{$e}} {{end}}', '0=x 1=y 2=z '],
  ['range with one variable', '{{range $e := .List}}{{$e}}{{end}}', 'xyz'],
  ['range over a map, keys sorted', '{{range $k, $v := .Spec.Labels}}{{$k}}={{$v}};{{end}}', 'alpha=1;zeta=2;'],
  ['range else', '{{range .Empty}}x{{else}}none{{end}}', 'none'],
  ['range over nil', '{{range .Missing}}x{{else}}none{{end}}', 'none'],
  ['range of structs', '{{range .Tasks}}{{.Name}}:{{.State}} {{end}}', 'a:running b:failed '],
  ['range over an int', '{{range 3}}{{.}}{{end}}', '012'],
  ['break', '{{range .List}}{{if eq . "y"}}{{break}}{{end}}{{.}}{{end}}', 'x'],
  ['continue', '{{range .List}}{{if eq . "y"}}{{continue}}{{end}}{{.}}{{end}}', 'xz'],
  ['ports idiom', '{{range $p, $c := .Ports}}{{$p}} -> {{(index $c 0).HostPort}}{{end}}', '80/tcp -> 8080'],
  // if / else if / else / with
  ['if true', '{{if .Yes}}yes{{end}}', 'yes'],
  ['if zero is false', '{{if .Zero}}yes{{else}}no{{end}}', 'no'],
  ['if empty slice is false', '{{if .Empty}}yes{{else}}no{{end}}', 'no'],
  ['else if', '{{if eq .N 1}}one{{else if eq .N 3}}three{{else}}other{{end}}', 'three'],
  ['else if falls to else', '{{if eq .N 1}}one{{else if eq .N 2}}two{{else}}other{{end}}', 'other'],
  ['with sets dot', '{{with .Spec.Labels}}{{.alpha}}{{end}}', '1'],
  ['with else', '{{with .Missing}}x{{else}}none{{end}}', 'none'],
  ['else with', '{{with .Missing}}x{{else with .Spec}}{{.Name}}{{end}}', 'svc'],
  // variables
  ['declare', '{{$v := .Name}}{{$v}}', 'web'],
  ['assign in an inner scope', '{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}', '2'],
  ['declared in if, gone after', '{{if true}}{{$y := 1}}{{$y}}{{end}}', '1'],
  // pipelines and functions
  ['pipeline', '{{.Name | upper}}', 'WEB'],
  ['two stages', '{{.Name | printf "%s!" | upper}}', 'WEB!'],
  ['parenthesised argument', '{{printf "%s-%s" (upper .Name) (lower "X")}}', 'WEB-x'],
  ['json', '{{json .Spec.Labels}}', '{"zeta":"2","alpha":"1"}'],
  ['json of a missing value', '{{json .Missing}}', 'null'],
  ['json .', '{{json .}}', JSON.stringify(data)],
  ['join', '{{join .List ", "}}', 'x, y, z'],
  ['split', '{{split "a:b:c" ":"}}', '[a b c]'],
  ['split then index', '{{index (split "img:tag" ":") 1}}', 'tag'],
  ['title', '{{title "hello wide-world"}}', 'Hello Wide-World'],
  ['lower upper', '{{lower "AbC"}}{{upper "AbC"}}', 'abcABC'],
  ['pad', '[{{pad .Name 2 1}}][{{pad "" 2 1}}]', '[  web ][]'],
  ['truncate', '{{truncate .ID 3}} {{truncate "ab" 5}}', 'abc ab'],
  ['println', '{{println .Name .N}}', 'web 3\n'],
  ['print spaces only between non-strings', '{{print .N .N "x" "y" .N}}', '3 3xy3'],
  [
    'printf verbs',
    '{{printf "%s|%d|%5.2f|%-4s|%q|%x|%t|%03d|%v|%%" .Name .N .F "a" "s" 255 true 7 .List}}',
    'web|3| 1.50|a   |"s"|ff|true|007|[x y z]|%',
  ],
  [
    'printf errors stay in the output',
    '{{printf "%s %d"}} {{printf "%d" "x"}} {{printf "a" 1}}',
    '%!s(MISSING) %!d(MISSING) %!d(string=x) a%!(EXTRA int=1)',
  ],
  ['len', '{{len .List}} {{len .Spec.Labels}} {{len "héllo"}}', '3 2 6'],
  ['index', '{{index .List 1}} {{index .Spec.Labels "zeta"}} {{index .Spec.Labels "nope"}}', 'y 2 <no value>'],
  ['eq ne', '{{eq .Name "web"}} {{ne .N 3}} {{eq .N 1 2 3}}', 'true false true'],
  ['lt le gt ge', '{{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}}', 'true true true false'],
  ['and or return an operand', '{{and 1 0}} {{and 1 "x"}} {{or 0 ""}} {{or 0 "x"}}', '0 x  x'],
  ['and short-circuits', '{{and .Missing (index .List 99)}}', '<no value>'],
  ['not', '{{not .Empty}} {{not .Name}}', 'true false'],
  ['literals', '{{\'a\'}} {{0x10}} {{1e3}} {{-2}} {{`raw`}} {{true}} {{"q\\""}}', '97 16 1000 -2 raw true q"'],
  ['docker turns \\t and \\n into tabs and newlines first', '{{`a\\tb`}}', 'a\tb'],
  // trimming and comments
  ['trim both sides', 'a  {{- .Name -}}  b', 'awebb'],
  ['trim newlines', '{{range .List -}}\n  {{.}}\n{{- end}}', 'xyz'],
  ['comment', '{{/* a comment */}}x', 'x'],
  ['trimmed comment', 'x {{- /* c */ -}} y', 'xy'],
  ['dash without a space is a number', '{{-3}}', '-3'],
])('%s: %s', (_name, format, expected) => {
  expect(renderTemplate(format, data)).toBe(expected);
});

test('methods on the data are called with their arguments', () => {
  const row = { Labels: 'a=1,b=2', Label: (k: string) => ({ a: '1', b: '2' })[k] ?? '' };
  expect(renderTemplate('{{.Label "b"}}', row)).toBe('2');
  expect(renderTemplate('{{"a" | .Label}}', row)).toBe('1');
});

test('`json` and `{{json .}}` print one JSON object', () => {
  expect(renderTemplate('json', { a: 1 })).toBe('{"a":1}');
  expect(renderTemplate('{{ json . }}', { a: 1 })).toBe('{"a":1}');
});
