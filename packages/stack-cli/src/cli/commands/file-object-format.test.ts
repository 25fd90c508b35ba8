// secret/config ls and inspect --pretty as docker prints them (docker/cli's golden files:
// secret-list-sort, config-list-sort, secret-inspect-pretty.simple, config-inspect-pretty.simple).
import { type ApiFileObject, goTime, listRows, naturalLess, prettyInspect, renderList } from './file-object-format';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const obj = (id: string, name: string, driver?: string, labels?: Record<string, string>): ApiFileObject => ({
  ID: id,
  Version: { Index: 1 },
  CreatedAt: '2024-05-01T10:00:00Z',
  UpdatedAt: '2024-05-01T10:50:00Z',
  Spec: { Name: name, ...(driver ? { Driver: { Name: driver } } : {}), ...(labels ? { Labels: labels } : {}) },
});
const objs = [obj('ID-10-foo', '10-foo', 'driver'), obj('ID-1-foo', '1-foo'), obj('ID-2-foo', '2-foo', 'driver')];

test('secret ls: natural name order, docker columns', () => {
  expect(renderList('secret', listRows('secret', objs, NOW), {})).toBe(
    'ID          NAME      DRIVER    CREATED       UPDATED\n' +
      'ID-1-foo    1-foo               2 hours ago   About an hour ago\n' +
      'ID-2-foo    2-foo     driver    2 hours ago   About an hour ago\n' +
      'ID-10-foo   10-foo    driver    2 hours ago   About an hour ago\n',
  );
});

test('config ls: no DRIVER column', () => {
  expect(renderList('config', listRows('config', objs, NOW), {})).toBe(
    'ID          NAME      CREATED       UPDATED\n' +
      'ID-1-foo    1-foo     2 hours ago   About an hour ago\n' +
      'ID-2-foo    2-foo     2 hours ago   About an hour ago\n' +
      'ID-10-foo   10-foo    2 hours ago   About an hour ago\n',
  );
});

test('ls -q, --format template, --format json, --format "table ..."', () => {
  const rows = listRows('secret', [obj('ID-foo', 'foo'), obj('ID-bar', 'bar', undefined, { label: 'label-bar' })], NOW);
  expect(renderList('secret', rows, { quiet: true })).toBe('ID-bar\nID-foo\n');
  expect(renderList('secret', rows, { format: '{{.Name}} {{.Labels}}' })).toBe('bar label=label-bar\nfoo \n');
  expect(JSON.parse(renderList('secret', rows, { format: 'json' }).split('\n')[0]!)).toEqual({
    ID: 'ID-bar',
    Name: 'bar',
    Driver: '',
    CreatedAt: '2 hours ago',
    UpdatedAt: 'About an hour ago',
    Labels: 'label=label-bar',
  });
  expect(renderList('config', rows, { format: 'table {{.Name}}\t{{.Labels}}' })).toBe(
    'NAME      LABELS\nbar       label=label-bar\nfoo\n',
  );
});

test('secret inspect --pretty', () => {
  const o = { ...obj('secretID', 'secretName', 'driver', { lbl1: 'value1' }), CreatedAt: '0001-01-01T00:00:00Z' };
  o.UpdatedAt = '0001-01-01T00:00:00Z';
  expect(prettyInspect('secret', o)).toBe(
    'ID:              secretID\n' +
      'Name:              secretName\n' +
      'Labels:\n' +
      ' - lbl1=value1\n' +
      'Driver:            driver\n' +
      'Created at:        0001-01-01 00:00:00 +0000 utc\n' +
      'Updated at:        0001-01-01 00:00:00 +0000 utc\n',
  );
});

test('config inspect --pretty shows the data; a data version when the daemon gives one', () => {
  const o: ApiFileObject = {
    ...obj('configID', 'configName', undefined, { lbl1: 'value1' }),
    CreatedAt: '0001-01-01T00:00:00Z',
    UpdatedAt: '0001-01-01T00:00:00Z',
  };
  o.Spec.Data = Buffer.from('payload here').toString('base64');
  expect(prettyInspect('config', o)).toBe(
    'ID:\t\t\tconfigID\n' +
      'Name:\t\t\tconfigName\n' +
      'Labels:\n' +
      ' - lbl1=value1\n' +
      'Created at:            \t0001-01-01 00:00:00 +0000 utc\n' +
      'Updated at:            \t0001-01-01 00:00:00 +0000 utc\n' +
      'Data:\n' +
      'payload here\n',
  );
  expect(prettyInspect('config', { ...o, DataVersion: 3 })).toContain('Data version:          \t3\n');
});

test('goTime prints Go time.Time with its nanoseconds, and naturalLess orders digit runs as numbers', () => {
  expect(goTime('2024-05-01T10:00:00.123456780Z')).toBe('2024-05-01 10:00:00.12345678 +0000 utc');
  expect(goTime('2024-05-01T10:00:00+02:00')).toBe('2024-05-01 10:00:00 +0200 +0200');
  expect(['b10', 'b9', 'a', 'b09'].sort(naturalLess)).toEqual(['a', 'b9', 'b09', 'b10']);
});
