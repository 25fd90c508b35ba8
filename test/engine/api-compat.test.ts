// Engine API v1.41 details that Docker clients rely on (found running the Docker SDK for Python and
// the unmodified docker CLI against flotilla): LogConfig in inspect, exec stream framing, kill
// that waits for the exit, pull errors as a status, zero health durations, docker export.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { StdcopyDecoder } from '../../packages/engine-core/src/api/stdcopy';
import { TestEngine } from './harness';

jest.setTimeout(60_000);

const DOCKER = '/usr/local/bin/docker';
const engine = new TestEngine('apicompat');

beforeAll(async () => {
  await engine.start();
  await engine.importBusybox();
});

afterAll(async () => {
  await engine.cleanup();
});

/** The unmodified docker CLI against the private daemon. */
async function docker(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)(DOCKER, args, {
    env: { PATH: process.env.PATH, HOME: engine.dir, DOCKER_HOST: engine.host, DOCKER_CLI_HINTS: 'false' },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

async function json<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const r = await engine.api(method, path, body === undefined ? undefined : JSON.stringify(body));
  return { status: r.status, body: (r.body ? JSON.parse(r.body) : null) as T };
}

async function runDetached(cmd: string[], extra: Record<string, unknown> = {}): Promise<string> {
  const c = await json<{ Id: string }>('POST', '/v1.41/containers/create', { Image: 'busybox', Cmd: cmd, ...extra });
  expect(c.status).toBe(201);
  const s = await engine.api('POST', `/v1.41/containers/${c.body.Id}/start`);
  expect(s.status).toBe(204);
  return c.body.Id;
}

/** A raw (non-hijacked) POST returning the body bytes. */
function postRaw(path: string, body: unknown): Promise<{ status: number; type: string; body: Buffer }> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: engine.socket,
        method: 'POST',
        path,
        headers: { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(data)) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            type: String(res.headers['content-type']),
            body: Buffer.concat(chunks),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

test('create without HostConfig.LogConfig reports json-file in inspect, like the default', async () => {
  const plain = await json<{ Id: string }>('POST', '/v1.41/containers/create', { Image: 'busybox', Cmd: ['true'] });
  const named = await json<{ Id: string }>('POST', '/v1.41/containers/create', {
    Image: 'busybox',
    Cmd: ['true'],
    HostConfig: { LogConfig: { Type: 'json-file', Config: {} } },
  });
  for (const c of [plain, named]) {
    expect(c.status).toBe(201);
    const i = await json<{ HostConfig: { LogConfig: unknown } }>('GET', `/v1.41/containers/${c.body.Id}/json`);
    expect(i.body.HostConfig.LogConfig).toEqual({ Type: 'json-file', Config: {} });
    await engine.api('DELETE', `/v1.41/containers/${c.body.Id}`);
  }
});

test('exec start: multiplexed (stdcopy frames) without a TTY, raw with one; docker exec demultiplexes', async () => {
  const id = await runDetached(['sleep', '60']);
  const mk = async (tty: boolean) =>
    (
      await json<{ Id: string }>('POST', `/v1.41/containers/${id}/exec`, {
        Cmd: ['sh', '-c', 'echo out; echo err >&2'],
        AttachStdout: true,
        AttachStderr: true,
        Tty: tty,
      })
    ).body.Id;
  const plain = await postRaw(`/v1.41/exec/${await mk(false)}/start`, { Detach: false, Tty: false });
  expect(plain.type).toBe('application/vnd.docker.multiplexed-stream');
  const dec = new StdcopyDecoder();
  const frames = dec.push(plain.body);
  expect(dec.pending).toBe(0);
  const by = (s: number) => Buffer.concat(frames.filter((f) => f.stream === s).map((f) => f.data)).toString();
  expect(by(1)).toBe('out\n');
  expect(by(2)).toBe('err\n');
  const tty = await postRaw(`/v1.41/exec/${await mk(true)}/start`, { Detach: false, Tty: true });
  expect(tty.type).toBe('application/vnd.docker.raw-stream');
  expect(tty.body.toString()).toBe('out\nerr\n');
  const cli = await docker(['exec', id, 'sh', '-c', 'echo out; echo err >&2']);
  expect(cli).toEqual({ stdout: 'out\n', stderr: 'err\n' });
  await engine.api('DELETE', `/v1.41/containers/${id}?force=1`);
});

test('kill (SIGKILL) returns after the exit: an inspect right after shows Running false', async () => {
  for (let i = 0; i < 3; i++) {
    const id = await runDetached(['sleep', '60']);
    expect((await engine.api('POST', `/v1.41/containers/${id}/kill`)).status).toBe(204);
    const st = (await json<{ State: { Running: boolean; ExitCode: number } }>('GET', `/v1.41/containers/${id}/json`))
      .body.State;
    expect(st).toEqual(expect.objectContaining({ Running: false, ExitCode: 137 }));
    await engine.api('DELETE', `/v1.41/containers/${id}`);
  }
});

test('kill with another signal returns at once, even when the process ignores it', async () => {
  const id = await runDetached(['sh', '-c', "trap '' USR1; sleep 60"]);
  const t0 = Date.now();
  expect((await engine.api('POST', `/v1.41/containers/${id}/kill?signal=SIGUSR1`)).status).toBe(204);
  expect(Date.now() - t0).toBeLessThan(2000);
  const st = (await json<{ State: { Running: boolean } }>('GET', `/v1.41/containers/${id}/json`)).body.State;
  expect(st.Running).toBe(true);
  await engine.api('DELETE', `/v1.41/containers/${id}?force=1`);
});

test('a pull whose registry cannot be reached answers an error status with {message}, no stream', async () => {
  const r = await engine.api('POST', '/v1.41/images/create?fromImage=127.0.0.1%3A1%2Fnothing&tag=latest');
  expect(r.status).toBeGreaterThanOrEqual(400);
  const body = JSON.parse(r.body) as { message: string };
  expect(body.message).toMatch(/127\.0\.0\.1:1/);
  await expect(docker(['pull', '127.0.0.1:1/nothing'])).rejects.toMatchObject({
    stderr: expect.stringMatching(/^Error response from daemon: .*127\.0\.0\.1:1/),
  });
});

test('zero health durations mean the defaults', async () => {
  const c = await json<{ Id: string; message?: string }>('POST', '/v1.41/containers/create', {
    Image: 'busybox',
    Cmd: ['sleep', '60'],
    Healthcheck: { Test: ['CMD', 'true'], Interval: 0, Timeout: 0, StartPeriod: 0, Retries: 0 },
  });
  expect(c.status).toBe(201);
  expect((await engine.api('POST', `/v1.41/containers/${c.body.Id}/start`)).status).toBe(204);
  const h = (await json<{ State: { Health: { Status: string } } }>('GET', `/v1.41/containers/${c.body.Id}/json`)).body
    .State.Health;
  expect(h.Status).toBe('starting');
  await engine.api('DELETE', `/v1.41/containers/${c.body.Id}?force=1`);
});

test("docker export -o: the merged filesystem, with the container's own changes and deletions", async () => {
  const id = await runDetached(['sh', '-c', 'echo exported > /hello; rm /bin/vi; sleep 60']);
  await new Promise((r) => setTimeout(r, 500));
  const out = join(engine.dir, 'export.tar');
  for (const when of ['running', 'stopped']) {
    if (when === 'stopped') await engine.api('POST', `/v1.41/containers/${id}/kill`);
    await docker(['export', '-o', out, id]);
    const names = (await promisify(execFile)('tar', ['-tf', out], { encoding: 'utf8' })).stdout.split('\n');
    expect(names).toContain('./hello');
    expect(names).toContain('./bin/sh');
    expect(names).not.toContain('./bin/vi');
    const hello = (await promisify(execFile)('tar', ['-xOf', out, './hello'], { encoding: 'utf8' })).stdout;
    expect(hello).toBe('exported\n');
  }
  expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toMatch(/export-[0-9a-f]{12}/);
  await engine.api('DELETE', `/v1.41/containers/${id}?force=1`);
});

test('docker commit (with --change) then docker run of the new image shows the committed file', async () => {
  const id = await runDetached(['sh', '-c', 'echo committed > /hello; rm /bin/vi; sleep 60']);
  await new Promise((r) => setTimeout(r, 500));
  const out = await docker([
    'commit',
    '-c',
    'ENV COMMITTED=yes',
    '-c',
    'CMD ["sh", "-c", "cat /hello; echo $COMMITTED; test -e /bin/vi || echo vi-gone"]',
    '-m',
    'a message',
    '-a',
    'someone',
    id,
    'committed:v1',
  ]);
  expect(out.stdout.trim()).toMatch(/^sha256:[0-9a-f]{64}$/);
  // The container runs on, unpaused.
  const st = (await json<{ State: { Running: boolean; Paused: boolean } }>('GET', `/v1.41/containers/${id}/json`)).body
    .State;
  expect(st).toEqual(expect.objectContaining({ Running: true, Paused: false }));
  const run = await docker(['run', '--rm', 'committed:v1']);
  expect(run.stdout).toBe('committed\nyes\nvi-gone\n');
  const img = (
    await json<{ Comment: string; Author: string; RootFS: { Layers: string[] } }>(
      'GET',
      '/v1.41/images/committed:v1/json',
    )
  ).body;
  const base = (await json<{ RootFS: { Layers: string[] } }>('GET', '/v1.41/images/busybox/json')).body;
  expect(img.Comment).toBe('a message');
  expect(img.Author).toBe('someone');
  expect(img.RootFS.Layers).toHaveLength(base.RootFS.Layers.length + 1);
  await expect(docker(['commit', '-c', 'RUN true', id, 'bad:v1'])).rejects.toMatchObject({
    stderr: expect.stringContaining('RUN is not a valid change command'),
  });
  await engine.api('DELETE', `/v1.41/containers/${id}?force=1`);
  await engine.api('DELETE', '/v1.41/images/committed:v1');
});
