// The HTTP edge with a scripted backend: routing, version prefixes, docker's error shape and
// statuses, zod validation, stdcopy framing, and the server surviving whatever a handler throws.
import { mkdtempSync, rmSync } from 'node:fs';
import { request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerBackend, EngineBackend, LogChunk } from './backend';
import { ConflictError, NotFoundError } from '../errors';
import { rootLogger } from '../log';
import type { NetworkService } from '../network/types';
import { createApiServer } from './server';
import { StdcopyDecoder, frame } from './stdcopy';

const calls: unknown[] = [];

async function* chunks(): AsyncGenerator<LogChunk> {
  yield { stream: 'stdout', data: Buffer.from('out\n') };
  yield { stream: 'stderr', data: Buffer.from('err\n') };
}

const containers = {
  list: async (o: unknown) => {
    calls.push(['list', o]);
    return [{ Id: 'abc', Names: ['/x'] }];
  },
  create: async (name: string | undefined, body: unknown) => {
    calls.push(['create', name, body]);
    if (name === 'taken') throw new ConflictError('Conflict. The container name "/taken" is already in use');
    return { Id: 'c1', Warnings: [] };
  },
  inspect: async (id: string) => {
    if (id === 'boom') throw new Error('unexpected failure inside');
    throw new NotFoundError(`No such container: ${id}`);
  },
  logs: async () => ({ tty: false, chunks: chunks() }),
} as unknown as ContainerBackend;

const engine: EngineBackend = {
  system: { version: () => ({ ApiVersion: '1.41' }), info: async () => ({}) },
  containers,
  images: {} as EngineBackend['images'],
  networks: {} as NetworkService,
  volumes: {} as EngineBackend['volumes'],
};

let dir: string;
let sock: string;
let server: Server;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flotilla-api-'));
  sock = join(dir, 'api.sock');
  server = createApiServer(engine, { log: rootLogger.child({ component: 'api-test' }) });
  await new Promise<void>((r) => server.listen(sock, r));
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

function call(
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; body: Buffer; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath: sock, method, path, headers: body !== undefined ? { 'Content-Type': 'application/json' } : {} },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts), headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

test('paths answer with and without the /v1.41 prefix; HEAD /_ping works', async () => {
  expect((await call('GET', '/_ping')).body.toString()).toBe('OK');
  expect((await call('GET', '/v1.41/_ping')).status).toBe(200);
  const head = await call('HEAD', '/_ping');
  expect(head.status).toBe(200);
  expect(head.headers['api-version']).toBe('1.41');
  expect(JSON.parse((await call('GET', '/v1.24/version')).body.toString())).toEqual({ ApiVersion: '1.41' });
});

test('unknown routes: 404 page not found', async () => {
  expect(await call('GET', '/v1.41/nothing/here')).toMatchObject({ status: 404 });
  expect(JSON.parse((await call('DELETE', '/_ping')).body.toString())).toEqual({ message: 'page not found' });
});

test('engine errors map to their status with docker\'s {"message"} body', async () => {
  const r = await call('POST', '/containers/create?name=taken', '{"Image":"busybox"}');
  expect(r.status).toBe(409);
  expect(JSON.parse(r.body.toString())).toEqual({ message: 'Conflict. The container name "/taken" is already in use' });
  expect(await call('GET', '/containers/nope/json')).toMatchObject({ status: 404 });
});

test('an unexpected handler error is a 500 and the server keeps serving', async () => {
  const r = await call('GET', '/containers/boom/json');
  expect(r.status).toBe(500);
  expect(JSON.parse(r.body.toString()).message).toBe('unexpected failure inside');
  expect((await call('GET', '/_ping')).status).toBe(200);
});

test('bodies and query parameters are validated at the edge', async () => {
  expect((await call('POST', '/containers/create', '{oops')).status).toBe(400);
  const wrongType = await call('POST', '/containers/create', '{"Image":"b","HostConfig":{"Memory":"1g"}}');
  expect(wrongType.status).toBe(400);
  expect(JSON.parse(wrongType.body.toString()).message).toMatch(/HostConfig\.Memory/);
  expect((await call('POST', '/containers/create', '')).status).toBe(400);
  expect((await call('GET', '/containers/json?all=perhaps')).status).toBe(400);
  expect((await call('GET', '/containers/json?filters=notjson')).status).toBe(400);
  calls.length = 0;
  await call('POST', '/containers/create', '{"Image":"b","Cmd":"echo hi","Unknown":1}');
  expect(calls[0]).toEqual([
    'create',
    undefined,
    expect.objectContaining({ Image: 'b', Cmd: ['echo hi'], Unknown: 1 }),
  ]);
  await call('GET', '/containers/json?all=1&filters=%7B%22name%22%3A%5B%22x%22%5D%7D');
  expect(calls[1]).toEqual(['list', { all: true, filters: { name: ['x'] } }]);
});

test('logs of a non-TTY container use stdcopy frames', async () => {
  const r = await call('GET', '/containers/x/logs?stdout=1&stderr=1');
  expect(r.status).toBe(200);
  const frames = new StdcopyDecoder().push(r.body);
  expect(frames.map((f) => [f.stream, f.data.toString()])).toEqual([
    [1, 'out\n'],
    [2, 'err\n'],
  ]);
  expect((await call('GET', '/containers/x/logs')).status).toBe(400);
});

test('stdcopy frames split across chunks decode whole', () => {
  const bytes = Buffer.concat([frame(1, Buffer.from('hello')), frame(2, Buffer.from('world'))]);
  const d = new StdcopyDecoder();
  expect(d.push(bytes.subarray(0, 6))).toEqual([]);
  expect(d.push(bytes.subarray(6, 15)).map((f) => f.data.toString())).toEqual(['hello']);
  expect(d.push(bytes.subarray(15)).map((f) => f.data.toString())).toEqual(['world']);
  expect(d.pending).toBe(0);
});
