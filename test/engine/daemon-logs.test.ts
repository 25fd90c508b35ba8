// The daemon's logger reaches every component: each line names its component once, and the
// components that logged through module-level loggers before still log through the daemon's.
import { Writable } from 'node:stream';
import pino from 'pino';
import { TestEngine } from './harness';

jest.setTimeout(60_000);

const engine = new TestEngine('logs');
const lines: Record<string, unknown>[] = [];
const raw: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, cb) {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
      raw.push(line);
      lines.push(JSON.parse(line) as Record<string, unknown>);
    }
    cb();
  },
});

afterAll(async () => {
  await engine.cleanup();
});

it('each component logs through the daemon logger with one component field', async () => {
  await engine.start({ log: pino({ level: 'info' }, sink) });
  await engine.stop();
  // The daemon itself, and the network service (a module-level logger before issue 9).
  expect(lines).toContainEqual(expect.objectContaining({ component: 'daemon', msg: 'API listening' }));
  expect(lines).toContainEqual(expect.objectContaining({ component: 'network', msg: 'networks ready' }));
  for (const line of raw) expect(line.match(/"component":/g)).toHaveLength(1);
});
