// A daemon restart leaks nothing: after a graceful stop or a SIGKILL of the daemon process, the
// next daemon on the same data root tells the truth in `ps -a` and no runc container, mount,
// cgroup, veth or published port of the old one remains.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { dataPaths, leakedCgroups, networkNames, startDaemon } from '@flotilla/engine-core';
import { TestEngine, eventually, freePort } from './harness';

jest.setTimeout(90_000);

const engine = new TestEngine('restart');
const BIN = join(__dirname, '../../packages/stack-cli/bin/flotilla');
let child: ChildProcess | null = null;

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await engine.cleanup();
});

function spawnDaemon(): ChildProcess {
  const p = spawn(process.execPath, [BIN, 'daemon', '--data-root', engine.dataRoot, '--host', engine.host], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, FLOTILLA_LOG_LEVEL: 'warn' },
  });
  p.stderr!.resume();
  return p;
}

function runcContainers(): string[] {
  const root = dataPaths(engine.dataRoot).runcRoot;
  if (!existsSync(root)) return [];
  const out = execFileSync('runc', ['--root', root, 'list', '-q'], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean);
}

function veths(): string[] {
  const prefix = networkNames(dataPaths(engine.dataRoot)).vethPrefix;
  return execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(':')[1]?.trim().split('@')[0] ?? '')
    .filter((n) => n.startsWith(prefix));
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * No runc container, mount, cgroup or published port, and none of `oldVeths` (the veths of a
 * previous daemon). A running daemon keeps a small pool of ready sandboxes, so only a stopped one
 * can be checked for zero veths (pass `oldVeths` = 'all').
 */
async function expectNoLeaks(opts: { port?: number; oldVeths: string[] | 'all' }): Promise<void> {
  expect(runcContainers()).toEqual([]);
  expect(engine.mountsUnderRoot()).toEqual([]);
  expect(await leakedCgroups(dataPaths(engine.dataRoot))).toEqual([]);
  const left = () => veths().filter((v) => opts.oldVeths === 'all' || opts.oldVeths.includes(v));
  await eventually(async () => left().length === 0, 5000, `no veths left (${left().join(', ')})`);
  if (opts.port) expect(await portFree(opts.port)).toBe(true);
}

test('the bin daemon serves, refuses a second daemon on its socket, and closes on SIGTERM', async () => {
  child = spawnDaemon();
  await eventually(async () => (await engine.api('GET', '/_ping')).status === 200, 15_000, 'daemon socket');
  await expect(startDaemon({ dataRoot: join(engine.dir, 'other'), host: engine.host })).rejects.toThrow(
    /another flotilla daemon is already listening on unix:\/\/.*: stop it first/,
  );
  await engine.importBusybox();
  await engine.ok(['run', '-d', '--name', 'survivor', '--stop-timeout', '1', 'busybox', 'sleep', '600']);
  const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(existsSync(engine.socket)).toBe(false);
  expect(existsSync(join(engine.dataRoot, 'flotilla.pid'))).toBe(false);
  await expectNoLeaks({ oldVeths: 'all' });

  await engine.start();
  const rows = (await engine.ok(['ps', '-a', '--format', 'json']))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { Names: string; State: string; Status: string });
  expect(rows).toEqual([
    expect.objectContaining({ Names: 'survivor', State: 'exited', Status: expect.stringMatching(/^Exited \(137\) /) }),
  ]);
  await engine.ok(['rm', 'survivor']);
  await engine.stop();
});

test('after a SIGKILLed daemon, the next one cleans up and ps -a tells the truth', async () => {
  child = spawnDaemon();
  await eventually(async () => (await engine.api('GET', '/_ping')).status === 200, 15_000, 'daemon socket');
  const port = await freePort();
  await engine.ok([
    'run',
    '-d',
    '--name',
    'orphan',
    '-p',
    `127.0.0.1:${port}:80`,
    'busybox',
    'httpd',
    '-f',
    '-p',
    '80',
  ]);
  await engine.ok(['run', '--name', 'done', 'busybox', 'true']);
  expect(runcContainers()).toHaveLength(1);
  const pid = Number(readFileSync(join(engine.dataRoot, 'flotilla.pid'), 'utf8'));
  const oldVeths = veths();
  expect(oldVeths.length).toBeGreaterThan(0);
  const exited = new Promise((r) => child!.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  expect(pid).toBe(child.pid);

  // The stale socket file and pid file of the dead daemon do not stop the next one.
  await engine.start();
  const rows = (await engine.ok(['ps', '-a', '--format', 'json']))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { Names: string; State: string; Status: string });
  const byName = Object.fromEntries(rows.map((r) => [r.Names, r]));
  expect(byName.orphan).toMatchObject({ State: 'exited', Status: expect.stringMatching(/^Exited \(\d+\) /) });
  expect(byName.done).toMatchObject({ State: 'exited', Status: expect.stringMatching(/^Exited \(0\) /) });
  await expectNoLeaks({ port, oldVeths });

  // The recovered daemon can run the same container again, published on the same port.
  await engine.ok(['start', 'orphan']);
  expect(await engine.ok(['port', 'orphan'])).toBe(`80/tcp -> 127.0.0.1:${port}\n`);
  await engine.ok(['rm', '-f', 'orphan', 'done']);
  await engine.stop();
  await expectNoLeaks({ port, oldVeths: 'all' });
});
