// Recovery at daemon start (real runc, root required): a new manager over a crashed one's data
// cleans up and tells the truth; a shutdown leaves no container behind.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataPaths, type DataPaths } from '../paths';
import { makeBusyboxRootfs } from '../testing/busybox-rootfs';
import { busyboxManager } from './__fixtures__/busybox-manager';
import { cleanupDaemonCgroups, leakedCgroups } from './cgroups';
import type { ContainerCreateRequest } from './container-types';
import { runc } from './runc';

jest.setTimeout(30_000);

// Made in beforeAll: when a -t filter skips every test, jest skips afterAll too.
let base: string;
let rootfs: string;

function newManager(p: DataPaths): ReturnType<typeof busyboxManager> {
  return busyboxManager(p, rootfs, base);
}

function req(cmd: string[]): ContainerCreateRequest {
  return { Image: 'busybox', Cmd: cmd, HostConfig: { NetworkMode: 'none' } };
}

/** A live process (a zombie left to an init that does not reap does not count). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function runcList(p: DataPaths): Promise<string[]> {
  return (await runc(p.runcRoot, ['list', '-q'])).stdout.split('\n').filter(Boolean);
}

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'flotilla-recovery-'));
  rootfs = makeBusyboxRootfs(join(base, 'busybox'));
  writeFileSync(join(base, 'resolv.conf'), 'nameserver 127.0.0.53\nnameserver 198.18.0.1\n');
});

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

describe('daemon restart (real runc)', () => {
  it('a new manager over the same data dir cleans up after a crashed one and ps -a tells the truth', async () => {
    const p2 = dataPaths(join(base, 'data2'), join(base, 'run2'));
    const child = spawn(
      process.execPath,
      [
        '-r',
        join(__dirname, '__fixtures__/register-ts.js'),
        join(__dirname, '__fixtures__/crash-daemon.ts'),
        p2.root,
        join(base, 'run2'),
        rootfs,
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const line = await new Promise<string>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const [first = '', ...rest] = buf.split('\n');
        if (rest.length) resolve(first);
      });
      child.once('exit', (code) => reject(new Error(`crash-daemon exited early with ${code}`)));
    });
    const ids = JSON.parse(line) as { plain: string; always: string; created: string; runcPid: number };
    expect((await runcList(p2)).sort()).toEqual([ids.plain, ids.always].sort());
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // The crashed daemon's containers are still running.
    expect(alive(ids.runcPid)).toBe(true);

    const second = await newManager(p2);
    try {
      const ps = second.m.list({ all: true });
      const byName = Object.fromEntries(ps.map((c) => [c.Names[0], c]));
      expect(byName['/plain']).toMatchObject({ State: 'exited', Status: expect.stringMatching(/^Exited \(255\) /) });
      expect(byName['/created']).toMatchObject({ State: 'created', Status: 'Created' });
      // restart policy "always": started again by the new daemon
      for (let i = 0; i < 100 && second.m.inspect('always').State.Status !== 'running'; i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(second.m.inspect('always').State.Status).toBe('running');
      expect(await runcList(p2)).toEqual([ids.always]);
      expect(alive(ids.runcPid)).toBe(false);
      const cgs = await leakedCgroups(p2);
      expect(cgs.length).toBeGreaterThan(0);
      expect(cgs.filter((c) => !c.endsWith(`/${ids.always}`))).toEqual([]);
      // No mount of the old containers is visible on the host (the overlay lived in their mount namespace).
      expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(p2.containers);
      // A clean shutdown stops it without marking it manually stopped: the next daemon starts it again.
      await second.m.shutdown();
      expect(second.m.inspect('always').State.Status).toBe('exited');
      const third = await newManager(p2);
      for (let i = 0; i < 100 && third.m.inspect('always').State.Status !== 'running'; i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(third.m.inspect('always').State.Status).toBe('running');
      expect(third.m.inspect('plain').State.Status).toBe('exited');
      second.m = third.m;
      await second.m.stop('always', { timeout: 0 });
      expect(second.m.inspect('always').State).toMatchObject({ Status: 'exited', ExitCode: 137 });
      await second.m.remove('always', { force: true });
      expect(await leakedCgroups(p2)).toEqual([]);
      expect(await runcList(p2)).toEqual([]);
      expect(readdirSync(p2.containers).sort()).toEqual([ids.plain, ids.created].sort());
    } finally {
      for (const c of second.m.list({ all: true })) await second.m.remove(c.Id, { force: true });
      await cleanupDaemonCgroups(p2);
      try {
        execFileSync('runc', ['--root', p2.runcRoot, 'delete', '--force', ids.always], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
  });

  it('a shutdown waits for a start in flight and stops that container too (none outlives the daemon)', async () => {
    const p3 = dataPaths(join(base, 'data3'), join(base, 'run3'));
    const third = await newManager(p3);
    try {
      const { Id } = await third.m.create(req(['sleep', '60']));
      const starting = third.m.start(Id);
      await third.m.shutdown();
      // The start either finished before the shutdown stopped it, or was refused by it.
      await starting.catch((e: Error) => expect(e.message).toContain('the daemon is shutting down'));
      expect(third.m.inspect(Id).State.Running).toBe(false);
      expect(await runcList(p3)).toEqual([]);
      await expect(third.m.start(Id)).rejects.toThrow(`cannot start container ${Id}: the daemon is shutting down`);
    } finally {
      await cleanupDaemonCgroups(p3);
    }
  });
});
