// A command may only return once its output left the stdout buffer, because the bin exits right
// after it (a piped `save | load` once lost the archive's tail that way).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { flushed } from '../io';
import { main } from '../main';

/** A reader slower than the producer: each write completes `ms` later, like a full pipe. */
function slowSink(ms: number): { sink: Writable; delivered: () => number } {
  let n = 0;
  const sink = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _enc, cb) {
      setTimeout(() => {
        n += chunk.length;
        cb();
      }, ms);
    },
  });
  return { sink, delivered: () => n };
}

let dir: string;
let server: Server;
let host: string;
// What the fake /images/get answers: a big layer chunk, then the small tail members
// (manifest.json, repositories, end-of-archive blocks) as separate small chunks.
const CHUNKS = [Buffer.alloc(256 * 1024, 1), Buffer.alloc(1024, 2), Buffer.alloc(1024, 3), Buffer.alloc(2048, 0)];
const TOTAL = CHUNKS.reduce((a, c) => a + c.length, 0);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flotilla-cli-save-'));
  const socket = join(dir, 'api.sock');
  host = `unix://${socket}`;
  server = createServer((req, res) => {
    if (req.url?.startsWith('/v1.41/images/get')) {
      res.writeHead(200, { 'Content-Type': 'application/x-tar' });
      for (const c of CHUNKS.slice(0, -1)) res.write(c);
      res.end(CHUNKS[CHUNKS.length - 1]);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((done) => server.listen(socket, done));
});

afterAll(async () => {
  await new Promise((done) => server.close(done));
  rmSync(dir, { recursive: true, force: true });
});

test('save to a slow stdout returns only after every byte was written', async () => {
  const { sink, delivered } = slowSink(20);
  expect(
    await main(['save', 'img:1'], {
      stdout: sink,
      stderr: new PassThrough(),
      stdin: Readable.from([]),
      env: { FLOTILLA_HOST: host },
      cwd: dir,
    }),
  ).toBe(0);
  expect(delivered()).toBe(TOTAL);
});

test('flushed waits for pending writes and resolves at once when nothing is pending', async () => {
  const { sink, delivered } = slowSink(10);
  await flushed(sink);
  sink.write(Buffer.alloc(100));
  sink.write(Buffer.alloc(50));
  expect(sink.writableNeedDrain).toBe(false);
  await flushed(sink);
  expect(delivered()).toBe(150);
  expect(sink.writableLength).toBe(0);
});
