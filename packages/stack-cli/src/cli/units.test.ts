import { humanDuration, humanSize, ramInBytes } from './units';
import { ellipsis, renderTable } from './table';
import { renderTableFormat, renderTemplate } from './template';

test('humanDuration follows go-units', () => {
  expect(humanDuration(400)).toBe('Less than a second');
  expect(humanDuration(1000)).toBe('1 second');
  expect(humanDuration(5000)).toBe('5 seconds');
  expect(humanDuration(59_000)).toBe('59 seconds');
  expect(humanDuration(60_000)).toBe('About a minute');
  expect(humanDuration(5 * 60_000)).toBe('5 minutes');
  expect(humanDuration(3600_000)).toBe('About an hour');
  expect(humanDuration(3 * 3600_000)).toBe('3 hours');
  expect(humanDuration(3 * 86400_000)).toBe('3 days');
  expect(humanDuration(21 * 86400_000)).toBe('3 weeks');
});

test('humanSize: decimal units, 3 significant digits', () => {
  expect(humanSize(0)).toBe('0B');
  expect(humanSize(999)).toBe('999B');
  expect(humanSize(2_140_000)).toBe('2.14MB');
  expect(humanSize(4_200_000)).toBe('4.2MB');
  expect(humanSize(123_456_789)).toBe('123MB');
  expect(humanSize(1_500_000_000)).toBe('1.5GB');
});

test('ramInBytes: binary units like docker --memory', () => {
  expect(ramInBytes('64m')).toBe(64 * 1024 * 1024);
  expect(ramInBytes('1g')).toBe(1024 ** 3);
  expect(ramInBytes('1.5G')).toBe(1.5 * 1024 ** 3);
  expect(ramInBytes('512k')).toBe(512 * 1024);
  expect(ramInBytes('100mb')).toBe(100 * 1024 * 1024);
  expect(ramInBytes('4096')).toBe(4096);
  expect(() => ramInBytes('lots')).toThrow("invalid size: 'lots'");
  expect(() => ramInBytes('-1m')).toThrow();
});

test('tables: minwidth 10, padding 3, last column unpadded', () => {
  expect(renderTable(['CONTAINER ID', 'IMAGE', 'NAMES'], [['abc', 'busybox', 'web']])).toBe(
    'CONTAINER ID   IMAGE     NAMES\nabc            busybox   web\n',
  );
  expect(ellipsis('httpd -f -p 80 -h /etc', 20)).toBe('httpd -f -p 80 -h /…');
  expect(ellipsis('short', 20)).toBe('short');
});

test('--format templates: json, fields, nested fields, literal text', () => {
  const obj = { ID: 'abc', State: { Status: 'running' }, Names: 'web' };
  expect(renderTemplate('json', obj)).toBe(JSON.stringify(obj));
  expect(renderTemplate('{{json .}}', obj)).toBe(JSON.stringify(obj));
  expect(renderTemplate('{{.ID}}\\t{{.Names}}', obj)).toBe('abc\tweb');
  expect(renderTemplate('{{.State.Status}}', obj)).toBe('running');
  expect(renderTemplate('{{json .State}}', obj)).toBe('{"Status":"running"}');
  expect(renderTemplate('{{.Missing}}', obj)).toBe('<no value>');
});

test('--format "table ...": docker header names, aligned rows', () => {
  const rows = [
    { ID: 'abc123', Names: 'web' },
    { ID: 'def456', Names: 'worker-long-name' },
  ];
  expect(renderTableFormat('table {{.ID}}\\t{{.Names}}', rows, { ID: 'CONTAINER ID', Names: 'NAMES' })).toBe(
    'CONTAINER ID   NAMES\nabc123         web\ndef456         worker-long-name\n',
  );
  expect(renderTableFormat('{{.ID}}', rows, {})).toBeUndefined();
});
