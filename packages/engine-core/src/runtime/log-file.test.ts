import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogEntry } from './container-types';
import { formatLogEntry, JsonFileLogWriter, muxFrame, readLogs } from './log-file';

async function collect(it: AsyncIterable<LogEntry>): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of it) out.push(e);
  return out;
}

describe('json-file logs', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'flotilla-logs-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('splits chunks into lines with RFC3339Nano timestamps in docker json-file format', async () => {
    const w = new JsonFileLogWriter(join(dir, 'l.log'));
    w.write('stdout', Buffer.from('hel'));
    w.write('stdout', Buffer.from('lo\nwor'));
    w.write('stderr', Buffer.from('oops\n'));
    w.write('stdout', Buffer.from('ld\nno newline'));
    await w.close();
    const lines = readFileSync(join(dir, 'l.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { log: string; stream: string; time: string });
    expect(lines.map((l) => [l.stream, l.log])).toEqual([
      ['stdout', 'hello\n'],
      ['stderr', 'oops\n'],
      ['stdout', 'world\n'],
      ['stdout', 'no newline'],
    ]);
    for (const l of lines) expect(l.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    const all = await collect(readLogs(join(dir, 'l.log'), {}));
    expect(all).toHaveLength(4);
    expect((await collect(readLogs(join(dir, 'l.log'), { tail: 2 }))).map((e) => e.line)).toEqual([
      'world\n',
      'no newline',
    ]);
    expect((await collect(readLogs(join(dir, 'l.log'), { stderr: false }))).map((e) => e.stream)).toEqual([
      'stdout',
      'stdout',
      'stdout',
    ]);
    const [first, , , fourth] = all;
    if (!first || !fourth) throw new Error(`expected 4 entries, got ${all.length}`);
    expect(formatLogEntry(first, true).toString()).toBe(`${first.time} hello\n`);
    const since = Date.parse(fourth.time) / 1000 + 10;
    expect(await collect(readLogs(join(dir, 'l.log'), { since }))).toEqual([]);
  });

  it('follows a live writer until it closes', async () => {
    const w = new JsonFileLogWriter(join(dir, 'f.log'));
    w.write('stdout', Buffer.from('one\n'));
    const seen: string[] = [];
    const done = (async () => {
      for await (const e of readLogs(join(dir, 'f.log'), { follow: true }, w)) seen.push(e.line);
    })();
    await new Promise((r) => setTimeout(r, 20));
    w.write('stdout', Buffer.from('two\n'));
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual(['one\n', 'two\n']);
    w.write('stderr', Buffer.from('three'));
    await w.close();
    await done;
    expect(seen).toEqual(['one\n', 'two\n', 'three']);
  });

  it('frames multiplexed output like docker', () => {
    expect([...muxFrame('stderr', Buffer.from('hi'))]).toEqual([2, 0, 0, 0, 0, 0, 0, 2, 104, 105]);
  });
});
