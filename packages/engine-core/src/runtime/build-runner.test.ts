import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataPaths, type DataPaths } from '../paths';
import { makeBusyboxRootfs } from '../testing/busybox-rootfs';
import { RuncBuildRunner } from './build-runner';
import { cleanupDaemonCgroups, leakedCgroups } from './cgroups';
import { runc } from './runc';

describe('RuncBuildRunner (real runc)', () => {
  // Made in beforeAll: when a -t filter skips every test, jest skips afterAll too.
  let base: string;
  let paths: DataPaths;
  let lower: string;
  let runner: RuncBuildRunner;
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'flotilla-build-runner-'));
    paths = dataPaths(join(base, 'data'), join(base, 'run'));
    lower = makeBusyboxRootfs(join(base, 'layer0'));
    runner = new RuncBuildRunner(paths);
  });
  let n = 0;
  const dirs = () => {
    const d = join(base, `step${n++}`);
    mkdirSync(join(d, 'upper'), { recursive: true });
    mkdirSync(join(d, 'work'));
    return { upperDir: join(d, 'upper'), workDir: join(d, 'work') };
  };

  afterAll(async () => {
    await cleanupDaemonCgroups(paths);
    rmSync(base, { recursive: true, force: true });
  });

  it('runs a command over the layers, captures output and writes only into the upper dir', async () => {
    const d = dirs();
    const out: Buffer[] = [];
    const { exitCode } = await runner.run({
      ...d,
      layerDirs: [lower],
      args: [
        '/bin/sh',
        '-c',
        'echo "hello $GREETING from $(pwd) as $(id -u)"; echo err >&2; mkdir -p /app && echo built > /app/file',
      ],
      env: ['GREETING=world'],
      cwd: '/tmp',
      user: '',
      onOutput: (c) => out.push(c),
    });
    expect(exitCode).toBe(0);
    const text = Buffer.concat(out).toString();
    expect(text).toContain('hello world from /tmp as 0');
    expect(text).toContain('err');
    expect(readFileSync(join(d.upperDir, 'app/file'), 'utf8')).toBe('built\n');
    // The lower layer is untouched and no resolv.conf/hosts mount point leaked into the layer.
    expect(existsSync(join(lower, 'app'))).toBe(false);
    expect(existsSync(join(d.upperDir, 'etc/resolv.conf'))).toBe(false);
    expect(existsSync(join(d.upperDir, 'etc/hosts'))).toBe(false);
    expect(readdirSync(paths.tmp)).toEqual([]);
    expect((await runc(paths.runcRoot, ['list', '-q'])).stdout.trim()).toBe('');
    expect(await leakedCgroups(paths)).toEqual([]);
  });

  it('returns the exit code and runs as the named user', async () => {
    const d = dirs();
    const out: Buffer[] = [];
    const { exitCode } = await runner.run({
      ...d,
      layerDirs: [lower],
      args: ['/bin/sh', '-c', 'id -u; exit 7'],
      env: [],
      cwd: '/',
      user: 'nobody',
      onOutput: (c) => out.push(c),
    });
    expect(exitCode).toBe(7);
    expect(Buffer.concat(out).toString()).toBe('65534\n');
  });

  it('kills the step and cleans up when aborted', async () => {
    const d = dirs();
    const ac = new AbortController();
    const p = runner.run({
      ...d,
      layerDirs: [lower],
      args: ['/bin/sh', '-c', 'echo started; sleep 60'],
      env: [],
      cwd: '/',
      user: '',
      onOutput: () => ac.abort(),
      signal: ac.signal,
    });
    await expect(p).rejects.toThrow();
    expect(readdirSync(paths.tmp)).toEqual([]);
    expect((await runc(paths.runcRoot, ['list', '-q'])).stdout.trim()).toBe('');
    expect(await leakedCgroups(paths)).toEqual([]);
  });
});
