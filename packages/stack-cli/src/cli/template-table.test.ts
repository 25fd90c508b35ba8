// `--format "table ..."`: docker's header row, the rows through the template, tabwriter alignment.
import { renderRows, renderTableFormat } from './template';
import { tabwrite } from '@flotilla/manager';

const HEADERS = { ID: 'CONTAINER ID', Names: 'NAMES', Image: 'IMAGE', Status: 'STATUS' };
const rows = [
  { ID: 'abc123', Names: 'web', Image: 'busybox', Status: 'Up 2 minutes', Labels: { a: '1' } },
  { ID: 'def456', Names: 'worker-long-name', Image: 'alpine:3.19', Status: 'Exited (0)', Labels: {} },
];

test.each<[string, string, string]>([
  [
    'docker header names, aligned columns',
    'table {{.ID}}\\t{{.Names}}',
    'CONTAINER ID   NAMES\nabc123         web\ndef456         worker-long-name\n',
  ],
  [
    'header functions leave the header alone; the rows get them',
    'table {{.Names | upper}}\\t{{truncate .Image 4}}',
    'NAMES              IMAGE\nWEB                busy\nWORKER-LONG-NAME   alpi\n',
  ],
  [
    'minimum width 10',
    'table {{.Image}}\\t{{.ID}}',
    'IMAGE         CONTAINER ID\nbusybox       abc123\nalpine:3.19   def456\n',
  ],
  [
    'a field without a known header is upper-cased',
    'table {{.Labels}}\\t{{.ID}}',
    'LABELS     CONTAINER ID\nmap[a:1]   abc123\nmap[]      def456\n',
  ],
  ['printf text stays in the header', 'table {{printf "%s!" .Names}}', 'NAMES!\nweb!\nworker-long-name!\n'],
  // As in docker, the header runs the template on the header names: .Status is "STATUS" there.
  [
    'if in a column',
    'table {{.ID}}\\t{{if eq .Status "Exited (0)"}}done{{else}}up{{end}}',
    'CONTAINER ID   up\nabc123         up\ndef456         done\n',
  ],
])('%s', (_name, format, expected) => {
  expect(renderTableFormat(format, rows, HEADERS)).toBe(expected);
});

test('a format without the table prefix is not a table', () => {
  expect(renderTableFormat('{{.ID}}', rows, HEADERS)).toBeUndefined();
  expect(renderTableFormat('table', rows, HEADERS)).toBeUndefined();
  expect(renderTableFormat('tablet {{.ID}}', rows, HEADERS)).toBeUndefined();
});

test('the header is printed even with no rows', () => {
  expect(renderTableFormat('table {{.ID}}\\t{{.Names}}', [], HEADERS)).toBe('CONTAINER ID   NAMES\n');
});

test('renderRows: json, table and a template, a newline after each row', () => {
  expect(renderRows('json', [{ a: 1 }, { a: 2 }], {})).toBe('{"a":1}\n{"a":2}\n');
  expect(renderRows('{{.Names}}', rows, HEADERS)).toBe('web\nworker-long-name\n');
  expect(renderRows('{{println .Names}}', rows.slice(0, 1), HEADERS)).toBe('web\n\n');
  expect(renderRows('table {{.Names}}', rows.slice(0, 1), HEADERS)).toBe('NAMES\nweb\n');
});

test('tabwriter: column blocks, the text after the last tab takes no width, runes not bytes', () => {
  expect(tabwrite('a\tb\tc\nlonger-cell\tx\n')).toBe('a             b         c\nlonger-cell   x\n');
  expect(tabwrite('a\tb\nno tabs at all here\nc\td\n')).toBe('a         b\nno tabs at all here\nc         d\n');
  expect(tabwrite('é\tx\n')).toBe('é         x\n');
});
